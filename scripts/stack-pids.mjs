// The demo stack's pid file (DATA_DIR/stack.pids.json), written by scripts/stack.ts as it starts
// and restarts its services, read here by scripts/bootstrap.mjs before a start and after the
// stack ends, whatever ended it (Ctrl-C, a crash, SIGKILL of a suspended stack). Every service
// runs in a process group of its own, led by the process the stack spawned, so stopping a group
// stops the service with its children (PostgreSQL's backends, for one). Plain Node, no dependencies.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const pidFile = () => join(resolve(root, process.env.DATA_DIR || '.data'), 'stack.pids.json');

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** State and process group of a process from /proc/<pid>/stat (the fields after the command's closing parenthesis). */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Stopped by SIGSTOP or a debugger: a process that will not run its own clean-up. */
export function suspended(pid) {
  return /^[Tt]$/.test(stat(pid)?.state ?? '');
}

// A group is alive while a member runs. Zombies do not count: where nobody reaps orphans (PID 1 of
// some containers), a killed service's children would otherwise look alive for ever.
const groupAlive = (pgid) =>
  readdirSync('/proc').some((d) => {
    if (!/^\d+$/.test(d)) return false;
    const s = stat(d);
    return s !== undefined && s.pgrp === pgid && s.state !== 'Z';
  });
const signalGroup = (pgid, signal) => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
};

async function settled(services, ms) {
  const deadline = Date.now() + ms;
  while (services.some((s) => groupAlive(s.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

/**
 * Stops what an earlier run of the stack left running, as its pid file lists it, and removes the
 * file. A pid is trusted only while its command line still matches the one recorded (pids are
 * reused). A stack that is still running (not suspended) is another demo: that is an error.
 */
export async function stopLeftovers(say) {
  const file = pidFile();
  if (!existsSync(file)) return;
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    rmSync(file, { force: true });
    return;
  }
  const stack = recorded.stack;
  if (stack && cmdline(stack.pid)?.includes(stack.cmd)) {
    if (!suspended(stack.pid)) {
      say(
        `a golive stack already runs with this data folder (pid ${stack.pid}); stop it first (Ctrl-C in its terminal, or kill -INT ${stack.pid})`,
      );
      process.exit(1);
    }
    process.kill(stack.pid, 'SIGKILL');
  }
  const left = (recorded.services ?? []).filter((s) => cmdline(s.pid)?.includes(s.cmd) || (s.group && groupAlive(s.pid)));
  if (left.length) {
    say(`stopping what the last run left running: ${left.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}`);
    // In reverse order of start: the API and worker before the databases they use.
    for (const s of [...left].reverse()) signalGroup(s.pid, s.signal ?? 'SIGTERM');
    await settled(left, 15_000);
    for (const s of left) if (groupAlive(s.pid)) signalGroup(s.pid, 'SIGKILL');
    await settled(left, 5_000);
  }
  rmSync(file, { force: true });
}
