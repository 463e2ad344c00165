import { execFileSync } from 'node:child_process';

/**
 * Whether a process group still has a running member (ps). Zombies do not count: where nobody
 * reaps orphans (PID 1 of some containers), a killed service stays a zombie that holds nothing.
 */
export function groupRunning(pgid: number): boolean {
  return execFileSync('ps', ['-e', '-o', 'pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .some((line) => {
      const [group, state] = line.trim().split(/\s+/);
      return Number(group) === pgid && !state!.startsWith('Z');
    });
}
