// Public surface of the probe package, for commands (omr test, omr check-exposure).
export { SmtpSession, DEFAULT_TIMEOUT_MS, type ConnectOptions, type TlsUpgradeOptions, type CommandOptions, type TranscriptEvent, type TranscriptDirection } from './smtp-session.js';
export { SmtpSessionError, classifyConnectErrno, type ConnectClass, type SessionErrorCode } from './errors.js';
export { ReplyParser, formatReply, type SmtpReply } from './reply.js';
export { parseEhlo, describeCapabilities, compareCapabilities, type Capabilities } from './ehlo.js';
export { tlsFacts, describeTls, explainTlsError, type TlsFacts } from './tls-facts.js';
export { resolveHost, type DnsResult, type Lookup } from './dns.js';
export { probePort, probePortHeld, plan } from './port-probe.js';
export { diagnose, RULES, THRESHOLDS } from './diagnose.js';
export { runTest, verdictOf, type TestOptions, type TestData } from './run-test.js';
export * from './types.js';
