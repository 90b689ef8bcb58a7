// Reply texts in one table, with the stable reason each rejection is counted under.
// Enhanced status codes are written into the text because smtp-server's own mapping would
// label every 421 as 4.4.2; OMR-style 421s carry 4.7.0 (policy) or 4.3.2 (load).
export interface Reply {
  code: number;
  text: string;
  reason: string;
}

export const REPLIES = {
  totalConnections: { code: 421, text: '4.7.0 Too many connections, try again later', reason: 'total-connections' },
  accountConnections: { code: 421, text: '4.7.0 Too many connections for this account, try again later', reason: 'connection-limit' },
  authFailed: { code: 535, text: '5.7.8 Authentication credentials invalid', reason: 'auth-failed' },
  authRequired: { code: 530, text: '5.7.0 Authentication required', reason: 'auth-required' },
  quotaHour: { code: 421, text: '4.7.0 Hourly message quota exceeded, try again later', reason: 'quota-hour' },
  quotaMonth: { code: 421, text: '4.7.0 Monthly message quota exceeded, try again later', reason: 'quota-month' },
  defer: { code: 421, text: '4.3.2 System busy, try again later', reason: 'defer' },
  size: { code: 552, text: '5.3.4 Message size exceeds fixed maximum message size', reason: 'size' },
  recipient: { code: 550, text: '5.1.1 Recipient address rejected: user unknown', reason: 'recipient-rejected' },
  greeting421: { code: 421, text: '4.3.2 Service not available, closing transmission channel', reason: 'fault:greeting421' },
  mail421: { code: 421, text: '4.3.0 Temporary failure at MAIL, closing transmission channel', reason: 'fault:mail421' },
  rcpt4xx: { code: 451, text: '4.3.0 Temporary failure at RCPT, try again later', reason: 'fault:rcpt4xx' },
  data421: { code: 421, text: '4.3.0 Temporary failure after DATA, closing transmission channel', reason: 'fault:data421' },
  data5xx: { code: 554, text: '5.6.0 Message refused after DATA', reason: 'fault:data5xx' },
  tlsRequired: { code: 538, text: '5.7.11 Must issue a STARTTLS command first', reason: 'tls-required' },
  authFault: { code: 535, text: '5.7.8 Authentication credentials invalid', reason: 'fault:authFail' },
} satisfies Record<string, Reply>;

/** An Error that smtp-server turns into the reply `code text`. */
export function replyError(r: Reply, suffix = ''): Error & { responseCode: number; reason: string } {
  const e = new Error(r.text + suffix) as Error & { responseCode: number; reason: string };
  e.responseCode = r.code;
  e.reason = r.reason;
  return e;
}
