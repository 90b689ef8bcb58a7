#!/usr/bin/env node
// Thin launcher: all code lives in dist/ (compiled from src/). CommonJS (bin/package.json) so the
// line below runs before anything touches libuv's thread pool: the relay fsyncs every message
// from many sessions at once, and the default 4 threads serialise those fsyncs.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '32';
import('../dist/src/cli/main.js').then((m) => m.start());
