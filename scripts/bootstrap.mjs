#!/usr/bin/env node
// Installs whatever is missing before the stack or the tests run: npm packages (from the
// lockfile), the pinned Temporal binaries, and with --browser (npm test) Debian's chromium for
// the browser tests (scripts/install-browser.mjs). Plain Node: it runs before node_modules exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs;
if (stale) {
  process.stderr.write('[bootstrap] installing npm packages (npm ci) ...\n');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
const { ensureTool } = await import('./install-tools.mjs');
ensureTool('cli');
ensureTool('testServer');
if (process.argv.includes('--browser')) {
  const { ensureChromium } = await import('./install-browser.mjs');
  try {
    ensureChromium();
  } catch (err) {
    process.stderr.write(`[bootstrap] ${err.message}\n`);
    process.exit(1);
  }
}
