// Standalone peer for the namespace tests: `node exposure-smtp-server.js KIND HOST PORT` starts
// an smtp-server that relays anything (open), refuses foreign recipients (refuse) or wants AUTH
// (auth); prints "READY <port>" and stops on SIGTERM.
import { startSmtp, type SmtpKind } from './exposure.js';

const [kind = 'refuse', host = '0.0.0.0', port = '25'] = process.argv.slice(2);
const peer = await startSmtp(kind as SmtpKind, { host, port: Number(port) });
process.stdout.write(`READY ${peer.port}\n`);
const stop = (): void => { void peer.close().then(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
