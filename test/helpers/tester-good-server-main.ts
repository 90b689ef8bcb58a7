// Runs startGoodServer in its own process (e.g. inside a network namespace):
//   node tester-good-server-main.js PORT CA_FILE
// prints "ready PORT" once listening, stops on SIGTERM.
import { writeFileSync } from 'node:fs';
import { startGoodServer } from './misbehaving-servers.js';

const port = Number(process.argv[2] ?? 0);
const caFile = process.argv[3];
const server = await startGoodServer({ port });
if (caFile) writeFileSync(caFile, server.caPem);
process.stdout.write(`ready ${server.port}\n`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
