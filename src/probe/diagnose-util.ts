// Shared vocabulary of the diagnosis rules: input, thresholds, finding shape, text patterns.
import type { CheckStatus } from '../core/result.js';
import type { PortReport, Rejection } from './types.js';

export interface DiagnosisInput {
  ports: PortReport[];
  /** Credentials were given (so a refused AUTH is a failure, not a remark). */
  authAsked: boolean;
  expectBanner?: RegExp;
  thresholds?: Partial<Thresholds>;
}

export type Thresholds = typeof THRESHOLDS;

export const THRESHOLDS = {
  /** Greeting slower than this warns (Postfix postscreen's greet pause is 6 s; clients often wait 30-60 s). */
  slowGreetingMs: 10_000,
  /** End-of-data acknowledgement slower than this warns (Outlook's default server timeout is 60 s). */
  slowDataAckMs: 20_000,
  /** Certificates expiring within this many days warn. */
  certExpiringDays: 14,
};

export interface Finding {
  status: CheckStatus;
  summary: string;
  hint: string;
  detail?: Record<string, unknown>;
}

export interface Rule {
  id: string;
  check(input: DiagnosisInput): Finding | undefined;
}

export const QUOTA_TEXT = /quota|limit (?:reached|exceeded)|too many (?:messages|mails|recipients)|(?:hourly|daily|monthly) (?:limit|maximum)|rate limit/i;
export const CONN_TEXT = /too many (?:connections|sessions|concurrent)|connection limit|maximum (?:number of )?connections|concurrent|simultaneous/i;
/** Antivirus/firewall products known to proxy SMTP; seen in banners and certificate issuers. */
export const PROXY_TEXT = /\b(?:avast|avg|kaspersky|eset|bitdefender|norton|symantec|mcafee|sophos|fortinet|fortigate|watchguard|sonicwall|barracuda|trend ?micro|panda security|f-secure|zonealarm|proxy)\b/i;

export const working = (ps: PortReport[]): PortReport[] => ps.filter((p) => p.completed);
export const list = (ps: PortReport[]): string => ps.map((p) => p.port).join(', ');
export const rejections = (ps: PortReport[]): Array<Rejection & { port: number }> =>
  ps.flatMap((p) => (p.rejection ? [{ ...p.rejection, port: p.port }] : []));

export function thresholds(input: DiagnosisInput): Thresholds {
  return { ...THRESHOLDS, ...input.thresholds };
}
