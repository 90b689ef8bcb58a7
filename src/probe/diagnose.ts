// Diagnoses as a table of rules (ZoneMTA style, not scattered ifs): each rule looks at every
// port's report and, when it fires, yields one check `diagnosis:<id>` with a hint saying what to
// do. Rules that do not fire produce no check. Order here is the order of the "what to do" list.
import type { Check } from '../core/result.js';
import type { DiagnosisInput, Rule } from './diagnose-util.js';
import { noConnection, noGreeting, port25Blocked, smtpProxy } from './rules-network.js';
import { certExpiring, connectionLimit, plaintextAuthOnly, quota, slowDataAck, slowGreeting, starttlsStripped } from './rules-session.js';

export const RULES: readonly Rule[] = [
  noConnection,
  port25Blocked,
  noGreeting,
  connectionLimit,
  quota,
  starttlsStripped,
  plaintextAuthOnly,
  smtpProxy,
  certExpiring,
  slowGreeting,
  slowDataAck,
];

export function diagnose(input: DiagnosisInput): Check[] {
  const checks: Check[] = [];
  for (const rule of RULES) {
    const f = rule.check(input);
    if (f) checks.push({ id: `diagnosis:${rule.id}`, status: f.status, summary: f.summary, detail: f.detail, hint: f.hint });
  }
  return checks;
}

export { THRESHOLDS, type DiagnosisInput, type Thresholds } from './diagnose-util.js';
