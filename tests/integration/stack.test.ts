import { uniqueSuffix } from '../helpers/temporal';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProgramStatus } from '../../domain/rollout';
import { projectRoot } from '../../platform/config';
import { freePort, portOpen } from '../../tools/services';
import { completeProgram, quickPlan } from '../helpers/complete';
import { groupRunning } from '../helpers/processes';

/**
 * The README's first command, for real: `npm run demo`'s own start (scripts/bootstrap.mjs --stack
 * scripts/stack.ts) with its own data folder and free ports, in a process group of its own as in
 * a terminal. Stopped with Ctrl-C and started again, it finds its data: a workflow started before
 * the restart carries on, and a program that finished stays finished. A crashed worker is
 * restarted; a suspended stack stopped with Ctrl-C leaves nothing running, and the next start
 * succeeds.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'golive-stack-'));
const pidFile = join(dataDir, 'stack.pids.json');
let stack: { child: ChildProcess; out: () => string; err: () => string } | undefined;
let tokens: Record<string, string> = {};

interface PidRecord {
  stack: { pid: number };
  services: { name: string; pid: number }[];
}
const pids = () => JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;

function startStackScript(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'scripts/bootstrap.mjs'), '--stack', '--', 'node', '--import', 'tsx', 'scripts/stack.ts'],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const started = { child, out: () => out, err: () => err };
  const up = new Promise<typeof started>((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (!out.includes('golive is up')) return;
      tokens = Object.fromEntries([...out.matchAll(/^ {2}(p-[a-z]+-\d+)\s+(glv_\S+)/gm)].map((m) => [m[1]!, m[2]!]));
      resolve(started);
    });
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}: ${err}`)));
  });
  return { started, up };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
function ctrlC(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    process.kill(-child.pid!, 'SIGINT');
  });
}

afterAll(async () => {
  if (stack && stack.child.exitCode === null) await ctrlC(stack.child);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run demo (scripts/bootstrap.mjs --stack, scripts/stack.ts)', () => {
  const ports: Record<string, number> = {};
  let env: Record<string, string> = {};
  let api = '';
  const as = (person: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${tokens[person]}` });
  const call = async (person: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}/v1/programs${path}`, {
      method,
      headers: as(person),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const quick = quickPlan(`quick-${uniqueSuffix()}`);
  const phase = async () => (await call('p-viewer-01', 'GET', `/${quick.programId}`)).body as unknown as ProgramStatus;

  it(
    'comes up healthy, names its log files, stops on Ctrl-C, and finds its workflows again after a restart',
    { timeout: 600_000 },
    async () => {
      // Each port variable of the stack on a free port of its own.
      const portVariables = {
        API_PORT: 'api',
        EMBEDDED_PG_PORT: 'pg',
        TEMPORAL_UI_PORT: 'ui',
        SMTP_PORT: 'smtp',
        MAIL_UI_PORT: 'mailUi',
        TEMPORAL_ADDRESS: 'temporal',
        WORKER_METRICS_ADDRESS: 'workerMetrics',
        INBOUND_SMTP_PORT: 'inbound',
      };
      for (const name of Object.values(portVariables)) ports[name] = await freePort();
      env = Object.fromEntries(
        Object.entries(portVariables).map(([variable, name]) => [
          variable,
          variable.endsWith('_ADDRESS') ? `127.0.0.1:${ports[name]}` : String(ports[name]),
        ]),
      );
      Object.assign(env, { DATA_DIR: dataDir, LOG_LEVEL: 'info', DATABASE_URL: '' });
      api = `http://127.0.0.1:${ports.api}`;

      stack = await startStackScript(env).up;
      expect((await fetch(`${api}/healthz`)).status).toBe(200);
      // The demo hospital is there: its program runs and answers the printed lead token.
      const demo = await call('p-lead-01', 'GET', '/demo-program');
      expect(demo.status).toBe(200);
      expect((demo.body as unknown as ProgramStatus).departments).toHaveLength(23);
      expect(await portOpen(ports.ui!)).toBe(true);
      expect(await portOpen(ports.mailUi!)).toBe(true);
      // The demo receives check-off replies.
      expect(await portOpen(ports.inbound!)).toBe(true);
      // A readable terminal: the summary names the logs; request logs go to the file, not the terminal.
      expect(stack.out()).toContain(`Logs           ${dataDir}/logs/: api.log (requests)`);
      await expect
        .poll(() => readFileSync(join(dataDir, 'logs', 'api.log'), 'utf8'), { timeout: 10_000 })
        .toContain('/v1/programs/:programId');
      expect(stack.out()).not.toContain('/v1/programs/:programId');
      // Nothing but warnings reaches stderr, and here there is nothing to warn about.
      expect(stack.err()).not.toMatch(/\n\s+at |"level":/);

      const started = await fetch(`${api}/v1/notifications/test`, {
        method: 'POST',
        headers: { ...as('p-lead-01'), 'idempotency-key': 'before-restart' },
        body: JSON.stringify({ to: 'p-lead-01@demo-hospital.example', delaySeconds: 20 }),
      });
      expect(started.status).toBe(202);

      // A small program taken to its end through the API by the demo's own people.
      expect((await call('p-lead-01', 'POST', '', quick)).status).toBe(201);
      await completeProgram({
        url: api,
        programId: quick.programId,
        lead: as('p-lead-01'),
        viewer: as('p-viewer-01'),
        approvers: [as('p-vp-01'), as('p-itdir-01'), as('p-cmo-01')],
      });

      // 130: stopped by Ctrl-C (SIGINT), every child stopped first; the pid file goes with them.
      expect(await ctrlC(stack.child)).toBe(130);
      for (const port of Object.values(ports)) expect(await portOpen(port), `port ${port} still open`).toBe(false);
      expect(existsSync(pidFile)).toBe(false);

      stack = await startStackScript(env).up;
      const notification = async () =>
        ((await (await fetch(`${api}/v1/notifications/test/before-restart`, { headers: as('p-lead-01') })).json()) as { state: string })
          .state;
      // Any state of its life: waiting out its delay, being sent (the SMTP call in flight when the
      // restarted worker picked it up), or sent; never lost.
      expect(['waiting', 'sending', 'sent']).toContain(await notification());
      await expect.poll(notification, { timeout: 40_000, interval: 1000 }).toBe('sent');

      // The finished program is still finished, and its plan posted again does not start it over.
      expect((await phase()).phase).toBe('completed');
      const again = await call('p-lead-01', 'POST', '', quick);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: 'program_finished', programId: quick.programId, status: 'completed' });
      expect((await phase()).phase).toBe('completed');
      expect((await phase()).gates.find((g) => g.gate === 'readiness')!.status).toBe('go');
    },
  );

  it('restarts a crashed worker and says so', { timeout: 180_000 }, async () => {
    const worker = pids().services.find((s) => s.name === 'worker')!;
    process.kill(worker.pid, 'SIGKILL');
    await expect
      .poll(() => stack!.err(), { timeout: 30_000 })
      .toContain('the worker stopped (signal SIGKILL); restarting it in 1 s (restart 1 of 5; its log: worker.log)');
    await expect.poll(() => stack!.err(), { timeout: 60_000 }).toContain('the worker is running again');
    const restarted = pids().services.find((s) => s.name === 'worker')!;
    expect(restarted.pid).not.toBe(worker.pid);
    // The restarted worker works: a test e-mail goes out.
    const sent = await fetch(`${api}/v1/notifications/test`, {
      method: 'POST',
      headers: { ...as('p-lead-01'), 'idempotency-key': 'after-crash' },
      body: JSON.stringify({ to: 'p-lead-01@demo-hospital.example' }),
    });
    expect(sent.status).toBe(202);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${api}/v1/notifications/test/after-crash`, { headers: as('p-lead-01') })).json()) as { state: string })
            .state,
        { timeout: 60_000, interval: 1000 },
      )
      .toBe('sent');
  });

  it('leaves no service running when its suspended parent gets Ctrl-C, and starts again after', { timeout: 300_000 }, async () => {
    const record = pids();
    expect(record.services.map((s) => s.name)).toEqual(['postgres', 'mail', 'temporal', 'worker', 'api']);
    process.kill(record.stack.pid, 'SIGSTOP');
    const code = await ctrlC(stack!.child);
    expect(code).toBe(130);
    for (const s of record.services) expect(groupRunning(s.pid), `${s.name} (pid ${s.pid}) still running`).toBe(false);
    for (const port of Object.values(ports)) expect(await portOpen(port), `port ${port} still open`).toBe(false);
    expect(stack!.err()).toContain('[bootstrap] stopping what the last run left running: postgres');

    stack = await startStackScript(env).up;
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    expect(await ctrlC(stack.child)).toBe(130);
  });

  it('names a port that is already taken, and by what, instead of starting', { timeout: 120_000 }, async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.api, '127.0.0.1', resolve));
    try {
      const { started, up } = startStackScript(env);
      await expect(up).rejects.toThrow(/stack exited with 1/);
      expect(started.err()).toContain(`golive: port ${ports.api} (the API) is taken by pid ${process.pid} (`);
      expect(started.err()).toContain('stop it, or set API_PORT');
      expect(started.err()).not.toMatch(/\n\s+at /);
      for (const port of [ports.pg!, ports.temporal!]) expect(await portOpen(port)).toBe(false);
    } finally {
      squatter.close();
    }
  });
});
