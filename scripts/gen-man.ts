// Regenerates man/ from the command specs and lists the pages in package.json's "man" field.
// Run with `npm run man`; a test fails when the committed pages differ from what this writes.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { commands } from '../src/cli/registry.js';
import { allPages } from '../src/cli/man.js';

const root = new URL('../../', import.meta.url);
const pkgPath = new URL('package.json', root);
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; man: string[] };
const manDir = new URL('man/', root);
mkdirSync(manDir, { recursive: true });
const pages = allPages(commands, pkg.version);
for (const f of readdirSync(manDir)) if (!pages.has(f)) rmSync(new URL(f, manDir));
for (const [name, text] of pages) writeFileSync(new URL(name, manDir), text);
pkg.man = [...pages.keys()].map((n) => `man/${n}`);
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
console.log(`wrote ${pages.size} man pages`);
