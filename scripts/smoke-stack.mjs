#!/usr/bin/env node
// A smoke test of the README's first command as whoever runs it, from wherever the clone sits:
// `npm run demo`'s own start (scripts/bootstrap.mjs --stack) on free ports and a data folder of
// its own, /healthz, then Ctrl-C (SIGINT to its process group) and no port left open.
// .ci/stack-smoke runs it as root from a 0700 folder and as a user without privileges.
// Plain Node, no dependencies.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (m) => process.stdout.write(`stack-smoke: ${m}\n`);

const freePort = () =>
  new Promise((ok, fail) => {
    const srv = createServer().once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
const portOpen = (port) =>
  new Promise((ok) => {
    const s = new Socket().setTimeout(500);
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
    s.once('timeout', () => (s.destroy(), ok(false)));
    s.connect(port, '127.0.0.1');
  });

const ownData = !process.env.DATA_DIR;
const data = process.env.DATA_DIR || mkdtempSync(join(tmpdir(), 'golive-smoke-'));
const ports = {
  api: await freePort(),
  pg: await freePort(),
  temporal: await freePort(),
  ui: await freePort(),
  smtp: await freePort(),
  mailUi: await freePort(),
  workerMetrics: await freePort(),
  inbound: await freePort(),
};
const env = {
  ...process.env,
  DATA_DIR: data,
  DATABASE_URL: '',
  API_PORT: String(ports.api),
  EMBEDDED_PG_PORT: String(ports.pg),
  TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
  TEMPORAL_UI_PORT: String(ports.ui),
  SMTP_PORT: String(ports.smtp),
  MAIL_UI_PORT: String(ports.mailUi),
  INBOUND_SMTP_PORT: String(ports.inbound),
  WORKER_METRICS_ADDRESS: `127.0.0.1:${ports.workerMetrics}`,
};

function failed(why) {
  say(`FAILED: ${why}`);
  try {
    for (const f of readdirSync(join(data, 'logs'))) {
      const lines = readFileSync(join(data, 'logs', f), 'utf8')
        .trim()
        .split('\n')
        .slice(-5);
      say(`last lines of ${f}:\n    ${lines.join('\n    ')}`);
    }
  } catch {
    // No logs yet.
  }
  process.exit(1);
}

const who = `${userInfo().username} (uid ${process.getuid()})`;
say(`starting the stack as ${who} from ${root}, data in ${data}`);
const t0 = Date.now();
const stack = spawn(
  process.execPath,
  [join(root, 'scripts', 'bootstrap.mjs'), '--stack', '--', 'node', '--import', 'tsx', 'scripts/stack.ts'],
  {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let out = '';
let err = '';
stack.stdout.on('data', (d) => (out += d));
stack.stderr.on('data', (d) => (err += d));
const exited = new Promise((ok) => stack.once('exit', (code, signal) => ok(code ?? signal)));
const up = await Promise.race([
  new Promise((ok) => {
    const timer = setInterval(() => out.includes('golive is up') && (clearInterval(timer), ok(true)), 200);
  }),
  exited.then((code) => `the stack exited (${code}) before it was up: ${err.trim() || out.trim()}`),
  new Promise((ok) => setTimeout(() => ok('the stack was not up after 10 minutes'), 600_000).unref()),
]);
if (up !== true) {
  try {
    process.kill(-stack.pid, 'SIGINT');
  } catch {
    // Gone.
  }
  await exited;
  failed(up);
}
const startedIn = ((Date.now() - t0) / 1000).toFixed(1);
const health = await fetch(`http://127.0.0.1:${ports.api}/healthz`);
if (health.status !== 200) failed(`/healthz answered ${health.status}`);

const t1 = Date.now();
process.kill(-stack.pid, 'SIGINT');
const code = await Promise.race([exited, new Promise((ok) => setTimeout(() => ok('timeout'), 120_000).unref())]);
if (code === 'timeout') failed('the stack did not stop within 2 minutes of Ctrl-C');
const open = [];
for (const [name, port] of Object.entries(ports)) if (await portOpen(port)) open.push(`${name} ${port}`);
if (open.length) failed(`ports still open after Ctrl-C: ${open.join(', ')}`);
if (err.includes('    at ')) failed(`a stack trace reached the terminal:\n${err}`);
say(
  `ok as ${who}: up in ${startedIn} s, /healthz 200, stopped by Ctrl-C in ${((Date.now() - t1) / 1000).toFixed(1)} s (exit ${code}), no port left open`,
);
if (ownData) rmSync(data, { recursive: true, force: true });
process.exit(0);
