#!/usr/bin/env node
// Thin launcher: all code lives in dist/ (compiled from src/). CommonJS (bin/package.json) so the
// lines below run before anything touches libuv's thread pool or grows the V8 heap.
// The relay fsyncs every message from many sessions at once, and the default 4 threads serialise
// those fsyncs.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '32';
// The relay is a small always-on daemon. V8's default lets the old generation grow to 2-4x the
// live data between full collections, which put its peak RSS in the 10,000-message burst at
// 125-175 MiB (budget 150, issue 9). Growing it by at most 100% between full collections kept
// the peak at 133-134 MiB for the same CPU per message (20% and 50%: 124 MiB, but 10-25% more
// CPU). V8 reads this flag at run time, so setting it here works (the semi-space size could
// not be changed any more). OMR_RELAY_V8_FLAGS overrides it ('' = V8 defaults).
const words = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (words[0] === 'relay' && words[1] === 'start') {
  const flags = process.env.OMR_RELAY_V8_FLAGS ?? '--heap-growing-percent=100';
  if (flags) require('node:v8').setFlagsFromString(flags);
}
import('../dist/src/cli/main.js').then((m) => m.start());
