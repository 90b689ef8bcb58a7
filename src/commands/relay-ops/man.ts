// Extra sections for omr-relay(1): how the operations features behave. Plain text, paragraphs
// separated by blank lines (the man generator escapes it).
export const RELAY_OPS_MAN: Record<string, string> = {
  'Finding an infected PC': [
    'Every LAN client address is counted: sessions, messages, recipients, distinct recipient domains, distinct senders, bytes and refusals, over the last hour and the last day (spool/ops/clients.json, saved every 30 seconds and at shutdown). omr relay clients ranks them; the PC at the top is the one to look at when TZO reports spam from the account.',
    'omr relay trace IP --since 2h lists every message that client handed over (queue id, time, sender, recipients, Subject, Message-ID), every refusal, and each delivery attempt with the smarthost reply. The event log is one JSON-lines file per day in spool/ops/events/, kept 8 days.',
    'omr queue hold --client IP moves everything the client queued to the hold queue (nothing of it is delivered); omr queue release --client IP or omr queue delete undo it.',
  ].join('\n\n'),
  'Client limits': [
    '--client-rate (default 60/min,600/hour) limits messages per client, checked at MAIL FROM: over it the client gets 451 4.7.1 and retries later. --client-recipient-rate (default 600/min,3000/hour) limits recipients, checked at RCPT TO: over it the client gets 452 4.5.3 and sends the rest later. Limits are sliding windows, exact, per client address; "off" disables one. A limit is never answered with 5xx, so a legitimate client loses no mail.',
    'A spike alarm (a warning log line naming the client) fires when a client sends far above its own long-run rate: at least 50 messages in about ten minutes and ten times its one-day baseline; at most once per client every 30 minutes.',
  ].join('\n\n'),
  'Quota': [
    '--quota-hour N (a sliding hour, like OMR) and --quota-month N (calendar month, UTC) meter what the relay sends upstream. When the next message would pass a quota, delivery stops and mail stays queued (no bounces, no 421 storm) until the window frees a slot; omr relay status shows usage and when sending resumes. Set them a little below the account quota, since other senders may share it.',
    'If the smarthost still answers with a quota 421 (the reply mentions a quota), all delivery waits until the window resets: an hour after the oldest send in the last hour, or the first of next month. omr queue flush clears that wait. The meter is saved in spool/ops/quota.json and survives restarts.',
  ].join('\n\n'),
  'Duplicate suppression': 'A client that times out after DATA (Outlook does) sends the same message again. Within --dedupe-window (default 10m; 0 turns it off) a message with the same Message-ID, sender, recipients and body (XXH64 hash of the bytes the client sent) is answered 250 "already queued as ID" and dropped: it is never delivered twice. The window is saved in spool/ops/dedupe.jsonl and survives restarts.',
  'Status, metrics and reload': [
    'omr relay status asks the running relay through spool/control.sock (a unix socket, mode 0600, inside the 0700 spool); without a running relay it reads the spool directories and the saved quota meter. It reports queue counts by state, the oldest message, the upstream state (ok, backing-off after a 421, paused after an AUTH failure or a suspended-account reply, or held by the quota) with the reason and resume time, connections in use and quota usage.',
    '--metrics 127.0.0.1:9325 serves /healthz (JSON) and Prometheus /metrics: omr_relay_queue_messages{state}, omr_relay_oldest_message_age_seconds, omr_relay_upstream_state{state}, omr_relay_upstream_connections{kind}, omr_relay_deliveries_total{outcome}, omr_relay_upstream_replies_total{code}, omr_relay_messages_received_total, omr_relay_client_rejects_total{reason}, omr_relay_duplicates_total, omr_relay_quota_used{window}, omr_relay_client_messages_last_hour{client} (the top 10 clients plus "other") and the process metrics. Loopback addresses only.',
    'SIGHUP (systemctl reload omr-relay) re-reads the config file and OMR_* variables and applies the allowlist, client limits, quotas and dedupe window at once; open sessions continue. Other settings need a restart.',
  ].join('\n\n'),
  'Running as a service': 'omr relay install-service writes a systemd unit: a dedicated user, ProtectSystem=strict with only the spool writable, NoNewPrivileges, PrivateTmp, CAP_NET_BIND_SERVICE as the only capability (port 25 without root), the password passed as a systemd credential, ExecReload sending SIGHUP. On Windows use a service wrapper (WinSW or NSSM) around node.exe and bin/omr.js relay start --config FILE.',
};
