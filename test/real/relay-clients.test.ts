// Real LAN clients -> relay -> smarthost: swaks, curl and Python's smtplib (Debian's python3).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { relayOptions, startSink, stripReceived, tempSpool, waitFor, withRelay, type Sink } from '../helpers/relay.js';

const run = promisify(execFile);

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) if (existsSync(`${dir}/${tool}`)) return `${dir}/${tool}`;
  return undefined;
}

/** Missing tool: fail in CI, skip elsewhere (with the tool's name). */
function need(t: TestContext, tool: string, path = which(tool)): string | undefined {
  if (path && existsSync(path)) return path;
  if (process.env.CI === 'true') assert.fail(`${tool} is not installed (CI requires it; see .ci/apt/relay.txt)`);
  t.skip(`${tool} is not installed`);
  return undefined;
}

async function withPeers(fn: (port: number, sink: Sink) => Promise<void>): Promise<void> {
  const sink = await startSink({ user: 'office', password: 'S3cret-pw!' });
  const spool = await tempSpool();
  try {
    await withRelay(relayOptions(spool.dir, sink), (relay) => fn(relay.addresses[0]!.port, sink));
  } finally {
    await sink.close();
    await spool.cleanup();
  }
}

test('swaks -> relay -> smarthost', async (t) => {
  const swaks = need(t, 'swaks');
  if (!swaks) return;
  await withPeers(async (port, sink) => {
    const r = await run(swaks, ['--server', `127.0.0.1:${port}`, '--from', 'pc@office.example', '--to', 'far@example.net', '--header', 'Subject: from swaks', '--body', 'swaks body line', '--helo', 'pc7.office.lan'], { timeout: 20_000 });
    assert.match(r.stdout, /<-\s+250 2\.0\.0 Ok: queued as [0-9A-Z]+/);
    await waitFor(() => sink.messages.length === 1);
    const raw = sink.messages[0]!.raw.toString('latin1');
    assert.match(raw, /^Received: from pc7\.office\.lan \(\[127\.0\.0\.1\]\)/);
    assert.match(raw, /\r\nSubject: from swaks\r\n/);
    assert.match(raw, /swaks body line/);
  });
});

test('curl (smtp://) -> relay -> smarthost, body byte-identical', async (t) => {
  const curl = need(t, 'curl');
  if (!curl) return;
  await withPeers(async (port, sink) => {
    const body = 'From: pc@office.example\r\nTo: far@example.net\r\nSubject: from curl\r\n\r\nline one\r\n.dot line\r\n\r\nend\r\n';
    const child = execFile(curl, ['-sS', `smtp://127.0.0.1:${port}`, '--mail-from', 'pc@office.example', '--mail-rcpt', 'far@example.net', '-T', '-'], { timeout: 20_000 });
    child.stdin!.end(body);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0);
    await waitFor(() => sink.messages.length === 1);
    assert.deepEqual(stripReceived(sink.messages[0]!.raw).toString('latin1'), body);
  });
});

test('Python smtplib -> relay -> smarthost, body byte-identical; bare LF refused', async (t) => {
  const py = need(t, '/usr/bin/python3', '/usr/bin/python3');
  if (!py) return;
  await withPeers(async (port, sink) => {
    const script = `
import smtplib, sys
msg = b"From: pc@office.example\\r\\nTo: a@example.net\\r\\nSubject: from python\\r\\n\\r\\n\\xc3\\xa9t\\xc3\\xa9\\r\\n"
s = smtplib.SMTP("127.0.0.1", ${port}, local_hostname="py.office.lan")
print(s.sendmail("pc@office.example", ["a@example.net", "b@example.net"], msg))
code, reply = s.docmd("MAIL FROM:<pc@office.example>")
s.docmd("RCPT TO:<a@example.net>")
s.docmd("DATA")
s.send(b"Subject: smuggle\\r\\n\\r\\nx\\n.\\nMAIL FROM:<evil@x>\\r\\n.\\r\\n")
print(s.getreply())
s.quit()
`;
    const r = await run(py, ['-c', script], { timeout: 20_000 });
    assert.match(r.stdout, /^\{\}\n/m, 'no recipient refused');
    assert.match(r.stdout, /\(550, b'5\.5\.2 Message refused: bare LF/);
    await waitFor(() => sink.messages.length === 1);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(sink.messages.length, 1, 'the smuggling attempt delivered nothing');
    assert.deepEqual(sink.messages[0]!.to, ['a@example.net', 'b@example.net']);
    assert.deepEqual(stripReceived(sink.messages[0]!.raw), Buffer.from('From: pc@office.example\r\nTo: a@example.net\r\nSubject: from python\r\n\r\n\xc3\xa9t\xc3\xa9\r\n', 'latin1'));
  });
});
