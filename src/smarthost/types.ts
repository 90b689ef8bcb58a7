// The generator model: answers in, files and follow-up steps out. Generators are pure (no I/O),
// so golden tests can pin every byte and the writer alone decides where things land.

export const SERVERS = [
  'omr-relay', 'postfix', 'exim4', 'sendmail', 'opensmtpd', 'msmtp', 'nullmailer', 'dma',
  'hmailserver', 'exchange', 'iis-smtp', 'mdaemon', 'argosoft',
] as const;
export type ServerId = (typeof SERVERS)[number];

export function isServerId(s: string): s is ServerId {
  return (SERVERS as readonly string[]).includes(s);
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface Answers {
  server: ServerId;
  user: string;
  /** Absent for servers that never store it (exchange asks with Get-Credential; manual steps). */
  password?: string;
  smarthost: Endpoint;
  tls: 'starttls' | 'implicit';
  /** Absolute path of a CA bundle to trust instead of the system store (private CA, `omr simulate`). */
  ca?: string;
  /** LAN networks allowed to relay (CIDR); loopback is always allowed. */
  lan: string[];
  /** Where the server listens for LAN clients (loopback is added where the server needs it). */
  listen: Endpoint[];
  /** This gateway's fully qualified name (HELO, myhostname, mailname). */
  hostname: string;
  /** Upstream connection budget: OMR allows 5 per account; keep one spare for `omr test`. */
  maxConnections: number;
  /** dma only: SHA-256 fingerprint pin of the smarthost certificate (dma cannot check a CA). */
  fingerprint?: string;
  /** exim4 only: Debian split configuration (conf.d) instead of the single template. */
  eximSplit?: boolean;
  /** omr-relay only: spool directory. */
  spool?: string;
}

/** How the writer combines a generated file with what is already at its path. */
export type MergeMode =
  | { kind: 'whole' }
  /** Only the lines between our markers are ours; `before` inserts ahead of the first match. */
  | {
      kind: 'block';
      comment: string;
      before?: RegExp;
      /** Comment out settings outside the block that the block sets (postfix main.cf, shell vars). */
      supersede?: 'postfix' | 'shell';
    };

export interface GeneratedFile {
  /** System path (absolute), or a bare file name for Windows scripts written to the out dir / cwd. */
  path: string;
  content: string;
  mode: number;
  /** user:group, applied only when writing to the system. */
  owner?: string;
  secret: boolean;
  merge: MergeMode;
  /** Write a UTF-8 byte order mark (Windows PowerShell 5.1 reads BOM-less scripts as ANSI). */
  bom?: boolean;
}

export interface Step {
  /** What to do, for people (also the JSON `data.steps` entry). */
  text: string;
  /** argv to run on the system (only without --out); absent for manual steps. */
  command?: string[];
}

export interface Generated {
  server: ServerId;
  title: string;
  files: GeneratedFile[];
  steps: Step[];
  /** Read-only self checks of the MTA (postfix check, exim -bV, smtpd -n). */
  checks: Step[];
  /** Things the admin must know (limitations, security caveats). */
  warnings: string[];
}

export type Generator = (a: Answers) => Generated;
