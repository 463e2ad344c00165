import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/config';
import { groupRunning } from '../helpers/processes';

/**
 * scripts/stack-pids.mjs: what bootstrap uses to stop the leftovers of a demo stack that could
 * not clean up after itself, from the pid file the stack keeps under DATA_DIR.
 */
interface Guard {
  pidFile(): string;
  suspended(pid: number): boolean;
  stopLeftovers(say: (m: string) => void): Promise<void>;
}
const data = mkdtempSync(join(tmpdir(), 'golive-guard-'));
process.env.DATA_DIR = data;
const guard = async () => (await import(join(projectRoot, 'scripts', 'stack-pids.mjs'))) as Guard;
const children: ChildProcess[] = [];
/** A service stand-in: a process group led by a `sleep` with a recognisable argument. */
const service = (seconds: string) => {
  const child = spawn('sh', ['-c', `sleep ${seconds} & exec sleep ${seconds}`], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
};
afterEach(() => {
  for (const c of children.splice(0)) if (groupRunning(c.pid!)) process.kill(-c.pid!, 'SIGKILL');
});
afterAll(() => {
  delete process.env.DATA_DIR;
  rmSync(data, { recursive: true, force: true });
});

describe('stopping what a demo stack left running', () => {
  it('stops every recorded process group, its children too, and removes the pid file', { timeout: 30_000 }, async () => {
    const g = await guard();
    const a = service('301');
    const b = service('302');
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(
      g.pidFile(),
      JSON.stringify({
        stack: { pid: 999_999_9, cmd: 'scripts/stack.ts' },
        services: [
          { name: 'postgres', pid: a.pid, cmd: 'sleep 301', signal: 'SIGTERM', group: true },
          { name: 'api', pid: b.pid, cmd: 'sleep 302', signal: 'SIGTERM', group: true },
        ],
      }),
    );
    const said: string[] = [];
    await g.stopLeftovers((m) => said.push(m));
    expect(groupRunning(a.pid!)).toBe(false);
    expect(groupRunning(b.pid!)).toBe(false);
    expect(said).toEqual([`stopping what the last run left running: postgres (pid ${a.pid}), api (pid ${b.pid})`]);
    expect(existsSync(g.pidFile())).toBe(false);
  });

  it('leaves alone a pid that now belongs to another program', async () => {
    const g = await guard();
    const other = service('303');
    await new Promise((r) => setTimeout(r, 200));
    // Recorded as the worker, but the process with that pid is not the worker (pid reused), and its group leader is gone.
    writeFileSync(
      g.pidFile(),
      JSON.stringify({ services: [{ name: 'worker', pid: other.pid, cmd: 'worker/main.ts', signal: 'SIGTERM' }] }),
    );
    const said: string[] = [];
    await g.stopLeftovers((m) => said.push(m));
    expect(groupRunning(other.pid!)).toBe(true);
    expect(said).toEqual([]);
    expect(existsSync(g.pidFile())).toBe(false);
  });

  it('tells a suspended process from a running one', async () => {
    const g = await guard();
    const s = service('304');
    await new Promise((r) => setTimeout(r, 200));
    expect(g.suspended(s.pid!)).toBe(false);
    process.kill(s.pid!, 'SIGSTOP');
    await expect.poll(() => g.suspended(s.pid!)).toBe(true);
  });
});
