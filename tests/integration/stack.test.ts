import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/config';
import { freePort, portOpen } from '../../platform/services';

/**
 * The README's first command, for real: the stack script with its own data folder and free
 * ports. Stopped with Ctrl-C (SIGINT) and started again, it finds its data and a workflow
 * started before the restart carries on.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'golive-stack-'));
let stack: ChildProcess | undefined;

let leadToken = '';

async function startStackScript(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/stack.ts')], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', () => undefined);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const token = /p-lead-01\s+(glv_\S+)/.exec(out);
      if (out.includes('golive is up') && token) {
        leadToken = token[1]!;
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}`)));
  });
  return child;
}

function stopStackScript(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

/**
 * The stack is up once the API listens, but a query needs the worker, which may still be
 * starting (bundling its workflows): until then the API answers 503 with Retry-After (it never
 * waits longer than its deadlines, platform/temporal.ts). A client retries; the test every second.
 */
async function whenServing(call: () => Promise<Response>, timeoutMs = 120_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call();
    if (res.status !== 503 || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

afterAll(async () => {
  if (stack && stack.exitCode === null) await stopStackScript(stack);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run demo (scripts/stack.ts)', () => {
  it('comes up healthy, stops on Ctrl-C, and finds its workflows again after a restart', async () => {
    const ports = { api: await freePort(), pg: await freePort(), temporal: await freePort(), ui: await freePort(), smtp: await freePort(), mailUi: await freePort() };
    const env = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      API_PORT: String(ports.api),
      EMBEDDED_PG_PORT: String(ports.pg),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_UI_PORT: String(ports.ui),
      SMTP_PORT: String(ports.smtp),
      MAIL_UI_PORT: String(ports.mailUi),
      DATABASE_URL: '',
    };
    const api = `http://127.0.0.1:${ports.api}`;

    stack = await startStackScript(env);
    const health = await fetch(`${api}/healthz`);
    expect(health.status).toBe(200);
    // The demo hospital is there: its program runs and answers the printed lead token.
    const demo = await whenServing(() => fetch(`${api}/v1/programs/demo-program`, { headers: { authorization: `Bearer ${leadToken}` } }));
    expect(demo.status).toBe(200);
    expect(((await demo.json()) as { departments: unknown[] }).departments).toHaveLength(23);
    expect(await portOpen(ports.ui)).toBe(true);
    expect(await portOpen(ports.mailUi)).toBe(true);
    const started = await fetch(`${api}/v1/notifications/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'before-restart', authorization: `Bearer ${leadToken}` },
      body: JSON.stringify({ to: 'p-lead-01@demo-hospital.example', delaySeconds: 20 }),
    });
    expect(started.status).toBe(202);

    // 130: stopped by Ctrl-C (SIGINT), every child stopped first.
    expect(await stopStackScript(stack)).toBe(130);
    for (const port of Object.values(ports)) expect(await portOpen(port), `port ${port} still open`).toBe(false);

    stack = await startStackScript(env);
    const auth = () => ({ authorization: `Bearer ${leadToken}` });
    const status = await whenServing(() => fetch(`${api}/v1/notifications/test/before-restart`, { headers: auth() }));
    expect(status.status).toBe(200);
    // Its 20 s timer may have fired while the worker was starting again.
    expect(['waiting', 'sending', 'sent']).toContain(((await status.json()) as { state: string }).state);
    await expect
      .poll(async () => ((await (await fetch(`${api}/v1/notifications/test/before-restart`, { headers: auth() })).json()) as { state: string }).state, { timeout: 40_000, interval: 1000 })
      .toBe('sent');
  });
});
