#!/usr/bin/env node
// Installs whatever is missing before the stack or the tests run, then runs them on a supported
// Node: the machine's own when it is 22.12 or newer, else the pinned Node 24 that
// scripts/install-tools.mjs brings from the npm registry into .tools/node. Plain Node, no
// dependencies: it runs on whatever `node` the machine has, before node_modules exists.
//
//   node scripts/bootstrap.mjs [--browser] [--stack] [-- command args...]
//
// Everything after `--` runs with the supported Node's folder first in PATH (so `node`, and
// every `#!/usr/bin/env node` tool such as npm, tsx and vitest, is that Node). --browser also
// installs Debian's chromium (npm test); --stack guards the demo stack: stops the leftovers of
// an earlier run before it starts and whatever it leaves behind when it ends (scripts/stack-pids.mjs).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);
const dash = process.argv.indexOf('--');
const flags = dash === -1 ? process.argv.slice(2) : process.argv.slice(2, dash);
const command = dash === -1 ? [] : process.argv.slice(dash + 1);

function fail(message) {
  say(message);
  process.exit(1);
}

const { ensureNode, ensureTool } = await import('./install-tools.mjs');
let node;
try {
  node = ensureNode();
} catch (err) {
  fail(err.message);
}
const env = { ...process.env, PATH: [dirname(node), join(root, 'node_modules', '.bin'), process.env.PATH].join(':') };

const marker = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs;
if (stale) {
  say(`installing npm packages (npm ci, on Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}) ...`);
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  } catch {
    fail('npm ci failed (its messages are above); fix that and run the command again');
  }
}
try {
  ensureTool('cli');
  ensureTool('testServer');
  if (flags.includes('--browser')) {
    const { ensureChromium } = await import('./install-browser.mjs');
    ensureChromium();
    // The contract test's schemathesis (pinned, in a venv under .tools/), with the rest of npm test's tools.
    const { ensureSchemathesis } = await import('./install-schemathesis.mjs');
    ensureSchemathesis();
  }
} catch (err) {
  fail(err.message);
}
if (!command.length) process.exit(0);

const guard = flags.includes('--stack') ? await import('./stack-pids.mjs') : undefined;
if (guard) await guard.stopLeftovers(say);

const child = spawn(command[0], command.slice(1), { cwd: root, env, stdio: 'inherit' });
child.once('error', (err) => fail(`${command[0]}: ${err.message}`));

// A Ctrl-C in the terminal reaches the whole foreground group, the child with it: this process
// waits for the child's own clean stop. Should the child not stop (it is suspended, or hangs),
// it is killed, and what it started is stopped from its pid file below.
let killer;
let received;
const signalNumber = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
function stopChild(signal, forward) {
  received ??= signal;
  if (forward) child.kill(signal);
  killer ??= setInterval(() => {
    if (guard?.suspended(child.pid)) child.kill('SIGKILL');
  }, 2000);
  setTimeout(() => child.kill('SIGKILL'), 90_000).unref();
}
process.on('SIGINT', () => stopChild('SIGINT', false));
process.on('SIGTERM', () => stopChild('SIGTERM', true));
process.on('SIGHUP', () => stopChild('SIGHUP', true));

child.once('exit', async (code, signal) => {
  if (killer) clearInterval(killer);
  if (guard) await guard.stopLeftovers(say);
  // Stopped by a signal (also when the child had to be killed): 128 + its number, as a shell says.
  if (received && code === null) process.exit(128 + signalNumber[received]);
  process.exit(code ?? 128 + (signalNumber[signal] ?? 0));
});
