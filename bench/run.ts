// `npm run bench`: the relay throughput benchmark (omr relay vs a Postfix satellite, same sink,
// same smtp-source load) or, with --memory, the relay's memory checks. See docs/bench.md.
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseBenchArgs, USAGE } from './lib/args.js';
import { runMemoryChecks } from './lib/memory.js';
import { pending, runScenario, type RelayKind, type RunResult } from './lib/scenario.js';
import { renderTable, summarize } from './lib/table.js';

function label(results: RunResult[]) {
  return (sc: string): string => {
    const r = results.find((x) => x.scenario === sc)!;
    const size = r.size >= 1048576 ? `${r.size / 1048576} MiB` : `${r.size / 1024} KiB`;
    return `${r.messages} x ${size}`;
  };
}

async function throughput(args: ReturnType<typeof parseBenchArgs>): Promise<number> {
  const results: RunResult[] = [];
  for (let rep = 0; rep < args.repeat; rep++) {
    for (const sc of args.scenarios) {
      // Alternate who goes first so slow drifts in machine load do not favour one relay.
      const order: RelayKind[] = rep % 2 ? [...args.relays].reverse() : args.relays;
      for (const relay of order) {
        process.stderr.write(`run ${rep + 1}/${args.repeat} ${sc.name} ${relay} (load ${loadavg()[0]!.toFixed(1)}) ... `);
        const r = await runScenario(relay, sc, args.cfg);
        process.stderr.write(`accept ${r.acceptRate.toFixed(0)}/s, e2e ${r.e2eRate.toFixed(0)}/s\n`);
        results.push(r);
      }
    }
  }
  console.log(`relay benchmark: ${args.cfg.sessions} client connections (smtp-source${args.cfg.newConnectionPerMessage ? ', one per message' : ', reused'}), upstream smtp-sink serving ${args.cfg.upstream}; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const line of renderTable(results, label(results))) console.log(line);
  console.log("accept/s: messages / time until the last 250; e2e/s: until the sink had every message; ±%: half the range over repeats; peak RSS: omr VmHWM, Postfix sampled sum of PSS over its processes; CPU ms/msg: user+system CPU of all the relay's processes per message");
  if (args.json) await writeFile(args.json, JSON.stringify({ config: args.cfg, results, summary: summarize(results) }, null, 2) + '\n');
  return 0;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  return args.memory ? runMemoryChecks(args.cfg, args.scale) : throughput(args);
}

// Interrupted: stop relays and sinks and remove temp dirs before leaving.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    Promise.all([...pending].map((c) => c())).finally(() => process.exit(130));
  });
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`bench failed: ${e.message}`);
    process.exitCode = 1;
  },
);
