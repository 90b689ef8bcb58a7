// smtp-server's SMTP stream parser (smtp-server/lib/smtp-stream.js), not covered by its typings.
declare module 'smtp-server/lib/smtp-stream.js' {
  import { PassThrough, Writable } from 'node:stream';
  export class SMTPStream extends Writable {
    oncommand(command: Buffer, callback?: () => void): void;
    startDataMode(maxBytes?: number): PassThrough & { byteLength: number; sizeExceeded: boolean };
    continue(): void;
  }
}
