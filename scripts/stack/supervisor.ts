/**
 * The demo stack's supervisor: each service is restarted with backoff when it crashes, and after
 * MAX_RESTARTS within RESTART_WINDOW_MS the stack gives up (scripts/stack.ts wires the services).
 */
import type { ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;

export const warn = (line: string) => process.stderr.write(`golive: ${line}\n`);

/** A service the stack runs: how to start it (ready when the promise settles) and how it is stopped. */
export interface ServiceSpec {
  name: string;
  /** How the terminal names it. */
  label: string;
  /** A piece of the command line of the process started, so a recorded pid is trusted only while it is still that process. */
  marker: string;
  /** SIGINT for PostgreSQL (its fast shutdown), SIGTERM for the rest. */
  signal: 'SIGINT' | 'SIGTERM';
  start(log: number): Promise<{ process: ChildProcess; stop(): Promise<void> }>;
}

export class Supervised {
  private crashes: number[] = [];
  private current?: { process: ChildProcess; stop(): Promise<void> };
  private log: number;

  constructor(
    readonly spec: ServiceSpec,
    logsDir: string,
    private readonly hooks: { stopping: () => boolean; changed: () => void; giveUp: (why: string) => void },
  ) {
    this.log = openSync(join(logsDir, `${spec.name}.log`), 'a');
  }

  get pid(): number | undefined {
    return this.current?.process.pid;
  }

  async start(): Promise<void> {
    this.current = await this.spec.start(this.log);
    this.hooks.changed();
    const child = this.current.process;
    child.once('exit', (code, signal) => {
      if (!this.hooks.stopping()) void this.crashed(code === null ? `signal ${signal}` : `code ${code}`);
    });
  }

  private async crashed(how: string): Promise<void> {
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < RESTART_WINDOW_MS), now];
    const logFile = `${this.spec.name}.log`;
    if (this.crashes.length > MAX_RESTARTS) {
      this.hooks.giveUp(
        `${this.spec.label} stopped ${this.crashes.length} times in ${RESTART_WINDOW_MS / 60_000} minutes (last: ${how}); giving up. Its log: ${logFile}`,
      );
      return;
    }
    // Whatever the service left in its process group (PostgreSQL's backends) would hold its port.
    if (this.current?.process.pid) killGroup(this.current.process.pid, 'SIGKILL');
    const delay = Math.min(1000 * 2 ** (this.crashes.length - 1), 30_000);
    warn(
      `${this.spec.label} stopped (${how}); restarting it in ${delay / 1000} s (restart ${this.crashes.length} of ${MAX_RESTARTS}; its log: ${logFile})`,
    );
    await new Promise((r) => setTimeout(r, delay));
    if (this.hooks.stopping()) return;
    try {
      await this.start();
      warn(`${this.spec.label} is running again`);
    } catch (err) {
      await this.crashed(`did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async stop(): Promise<void> {
    await this.current?.stop().catch(() => undefined);
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}
