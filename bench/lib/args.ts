// Command line of `npm run bench -- [options]`.
import { parseArgs } from 'node:util';
import { SCENARIOS, type RelayKind, type RunConfig, type Scenario } from './scenario.js';

export const USAGE = `usage: npm run bench -- [options]
  --scenario LIST     scenarios to run: ${SCENARIOS.map((s) => s.name).join(',')} (default: all)
  --relay LIST        relays to measure: postfix,omr (default: both)
  --repeat N          runs per scenario and relay, alternating the order (default 1)
  --scale F           multiply message counts by F (e.g. 0.1 for a quick look; default 1)
  --sessions N        parallel client connections from smtp-source (default 20)
  --upstream N        connections the sink serves at once and the relays may use (default 5)
  --new-connection-per-message   smtp-source opens a connection per message (default: reuses)
  --postfix-cache     keep Postfix's on-demand connection cache on (may exceed --upstream)
  --compare BIN       also run another build's bin/omr.js as relay omr-base (before/after)
  --omr-arg=ARG       extra argument for 'omr relay start' (repeatable; use = for ARGs starting with -)
  --cpu-prof DIR      run the omr relay under node --cpu-prof, profiles into DIR
  --stall SECONDS     give up when the sink receives nothing for this long (default 60)
  --json FILE         also write every run and the summary as JSON
  --memory            run the memory checks instead (10k burst, 25 MiB message, 100k queued)
  --keep              keep temp dirs (spools, logs) for inspection
  -h, --help          this text`;

export interface BenchArgs {
  scenarios: Scenario[];
  relays: RelayKind[];
  repeat: number;
  json?: string;
  memory: boolean;
  help: boolean;
  /** Message-count multiplier (also applied to the memory checks). */
  scale: number;
  cfg: RunConfig;
}

function positive(name: string, v: string | undefined, def: number, integer = true): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} expects a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      relay: { type: 'string' },
      repeat: { type: 'string' },
      scale: { type: 'string' },
      sessions: { type: 'string' },
      upstream: { type: 'string' },
      'new-connection-per-message': { type: 'boolean' },
      'postfix-cache': { type: 'boolean' },
      'omr-arg': { type: 'string', multiple: true },
      compare: { type: 'string' },
      'cpu-prof': { type: 'string' },
      stall: { type: 'string' },
      json: { type: 'string' },
      memory: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const names = (v.scenario ?? SCENARIOS.map((s) => s.name).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const scale = positive('scale', v.scale, 1, false);
  const scenarios = names.map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown scenario "${n}" (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    return { ...s, messages: Math.max(1, Math.round(s.messages * scale)) };
  });
  const relays = (v.relay ?? 'postfix,omr').split(',').map((s) => s.trim()) as RelayKind[];
  if (v.compare && !v.relay) relays.push('omr-base');
  for (const r of relays) if (r !== 'omr' && r !== 'postfix' && r !== 'omr-base') throw new Error(`unknown relay "${r}" (postfix, omr or omr-base)`);
  if (relays.includes('omr-base') && !v.compare) throw new Error('relay omr-base needs --compare BIN');
  return {
    scenarios,
    relays,
    repeat: positive('repeat', v.repeat, 1),
    json: v.json,
    memory: !!v.memory,
    help: !!v.help,
    scale,
    cfg: {
      sessions: positive('sessions', v.sessions, 20),
      upstream: positive('upstream', v.upstream, 5),
      newConnectionPerMessage: !!v['new-connection-per-message'],
      postfixCache: !!v['postfix-cache'],
      omrArgs: v['omr-arg'] ?? [],
      cpuProfDir: v['cpu-prof'],
      compareBin: v.compare,
      stallMs: positive('stall', v.stall, 60, false) * 1000,
      keep: !!v.keep,
    },
  };
}
