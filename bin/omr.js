#!/usr/bin/env node
// Thin launcher: all code lives in dist/ (compiled from src/).
import('../dist/src/cli/main.js').then((m) => m.start());
