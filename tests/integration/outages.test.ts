import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { Deps } from '../../api/deps';
import { retryAfterSeconds } from '../../api/dependencies';
import { testPlan } from '../../domain/demo-plans';
import { loadConfig } from '../../platform/config';
import { apiPoolTimeouts, createPool, migrate } from '../../platform/db';
import { createLogger } from '../../platform/logger';
import { createMailer } from '../../platform/mailer';
import { ensureDatabase, freePort, startEmbeddedPostgres, startTemporalDevServer, type TemporalService } from '../../tools/services';
import { createApiClient } from '../../platform/temporal';
import { personWithToken } from '../helpers/people';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

/**
 * The API with each dependency taken away for real: its own embedded PostgreSQL and Temporal dev
 * server (not the run's shared ones), stopped and started again here; and dependencies at a
 * closed port, or at a port that accepts connections and never answers (a hung server).
 * Every outage must answer 503 with Retry-After, naming the dependency, within about 2 s.
 */

type Pg = Awaited<ReturnType<typeof startEmbeddedPostgres>>;
interface Api {
  url: string;
  deps: Deps;
  close(): Promise<void>;
}

let dir: string;
let pgPort: number;
let pg: Pg;
let dbUrl: string;
let temporalPort: number;
let temporal: TemporalService;
let smtp: TestSmtp;
let api: Api;
let lead: string;
let leadId: string;
const apis: Api[] = [];
const figures: Record<string, number[]> = {};

async function startApi(databaseUrl: string, temporalAddress: string): Promise<Api> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    SMTP_PORT: String(smtp.port),
    LOG_LEVEL: 'silent',
  });
  // As api/main.ts builds them: the API's pool timeouts and its lazy, deadline-bound Temporal client.
  const deps: Deps = {
    config,
    pool: createPool(databaseUrl, 5, apiPoolTimeouts),
    temporal: createApiClient(config),
    mailer: createMailer(config),
    logger: createLogger('silent'),
    authCacheMs: 0,
  };
  const server = await new Promise<ReturnType<ReturnType<typeof createApp>['listen']>>((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const started: Api = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      deps.mailer.close();
      await deps.temporal.connection.close();
      await deps.pool.end().catch(() => undefined);
    },
  };
  apis.push(started);
  return started;
}

/** A port that accepts connections and never says a word, as a stopped (SIGSTOP) or wedged server does. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function timed(target: Api, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${lead}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json, retryAfter: res.headers.get('retry-after'), ms: Math.round(performance.now() - started) };
}

/** Asserts a quick 503 naming the dependency, and keeps the time for the closing figures. */
async function expectOutage(what: string, dependency: 'postgres' | 'temporal', call: () => ReturnType<typeof timed>, withinMs = 2_500) {
  const res = await call();
  expect(res.status, `${what}: ${JSON.stringify(res.json)}`).toBe(503);
  expect(res.json).toMatchObject({ error: 'dependency_unavailable', dependency });
  expect(res.retryAfter).toBe(String(retryAfterSeconds));
  expect(JSON.stringify(res.json)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:\/\/|stack/);
  expect(res.ms, what).toBeLessThan(withinMs);
  (figures[what] ??= []).push(res.ms);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'golive-outage-'));
  [pgPort, temporalPort, smtp] = await Promise.all([freePort(), freePort(), startTestSmtp()]);
  // Persistent, so that the cluster stopped below starts again with its data.
  [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, persistent: true }),
    startTemporalDevServer({ port: temporalPort }),
  ]);
  await ensureDatabase(pg.adminUrl, 'golive_outage');
  dbUrl = pg.urlFor('golive_outage');
  await migrate(dbUrl);
  api = await startApi(dbUrl, temporal.address);
  ({ token: lead, personId: leadId } = await personWithToken(api.deps.pool, ['lead', 'oncall']));
  const plan = testPlan();
  await api.deps.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'Test', 'test')`, [
    plan.programId,
    plan,
  ]);
});

afterAll(async () => {
  for (const a of apis) await a.close().catch(() => undefined);
  await Promise.all([temporal?.stop(), pg?.stop(), smtp?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  const lines = Object.entries(figures).map(([what, ms]) => `  ${what}: ${ms.join(', ')} ms`);
  console.info(`outages: time to the 503\n${lines.join('\n')}`);
});

describe('the API during outages', () => {
  it('answers normally while everything is up', async () => {
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', down: [] });
    // The program's workflow was never started here: Temporal answers "not found".
    expect((await timed(api, 'GET', '/v1/programs/test-program')).status).toBe(404);
  });

  it('answers 503 naming Temporal within about 2 s while the dev server is stopped, for queries, starts, signals and Updates', async () => {
    await temporal.stop();
    const health = await timed(api, 'GET', '/healthz');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'degraded', down: ['temporal'] });
    expect(health.retryAfter).toBe(String(retryAfterSeconds));
    expect(health.ms).toBeLessThan(2_500);
    (figures['temporal down: GET /healthz'] ??= []).push(health.ms);
    for (let i = 0; i < 3; i++) {
      await expectOutage('temporal down: GET /v1/programs/{id} (query)', 'temporal', () => timed(api, 'GET', '/v1/programs/test-program'));
      await expectOutage('temporal down: POST gate request (Update)', 'temporal', () =>
        timed(api, 'POST', '/v1/programs/test-program/gates/readiness/requests', {}, { 'idempotency-key': `gate-${i}` }),
      );
      await expectOutage('temporal down: POST /v1/incidents (signalWithStart)', 'temporal', () =>
        timed(api, 'POST', '/v1/incidents', { programId: 'test-program', departments: ['ICU'], severity: 'sev2' }),
      );
    }
    // A 503 is no answer: the Idempotency-Key is free for the retry.
    expect((await api.deps.pool.query(`SELECT 1 FROM idempotency_keys`)).rowCount).toBe(0);
  });

  it('serves again within seconds once Temporal is back', async () => {
    temporal = await startTemporalDevServer({ port: temporalPort });
    const back = performance.now();
    await expect.poll(async () => (await fetch(`${api.url}/healthz`)).status, { timeout: 15_000, interval: 250 }).toBe(200);
    (figures['temporal back: /healthz 200 after'] ??= []).push(Math.round(performance.now() - back));
    expect((await timed(api, 'GET', '/v1/programs/test-program')).status).toBe(404);
  });

  it('answers 503 naming PostgreSQL within about 2 s while the embedded PostgreSQL is stopped, and serves again when it is back', async () => {
    await pg.stop();
    const health = await timed(api, 'GET', '/healthz');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ down: ['postgres'] });
    (figures['postgres down: GET /healthz'] ??= []).push(health.ms);
    for (let i = 0; i < 3; i++) {
      await expectOutage('postgres down: GET /v1/incidents', 'postgres', () => timed(api, 'GET', '/v1/incidents'));
      await expectOutage('postgres down: POST /v1/incidents', 'postgres', () =>
        timed(
          api,
          'POST',
          '/v1/incidents',
          { programId: 'test-program', departments: ['ICU'], severity: 'sev2' },
          { 'idempotency-key': `inc-${i}` },
        ),
      );
    }
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, persistent: true });
    await expect.poll(async () => (await timed(api, 'GET', '/v1/incidents')).status, { timeout: 15_000, interval: 250 }).toBe(200);
  });

  it('answers 503 for dependencies at a closed port', async () => {
    const [closedPg, closedTemporal] = await Promise.all([freePort(), freePort()]);
    const noPg = await startApi(dbUrl.replace(`:${pgPort}/`, `:${closedPg}/`), temporal.address);
    await expectOutage('postgres at a closed port: GET /v1/incidents', 'postgres', () => timed(noPg, 'GET', '/v1/incidents'));
    const noTemporal = await startApi(dbUrl, `127.0.0.1:${closedTemporal}`);
    await expectOutage('temporal at a closed port: GET /v1/programs/{id}', 'temporal', () =>
      timed(noTemporal, 'GET', '/v1/programs/test-program'),
    );
    await expectOutage('temporal at a closed port: POST /v1/notifications/test', 'temporal', () =>
      timed(noTemporal, 'POST', '/v1/notifications/test', { to: `${leadId}@hospital.test` }),
    );
  });

  it('answers 503 for a PostgreSQL that accepts connections and never answers, after the 2 s connect limit', async () => {
    const hung = await silentServer();
    try {
      const hungPg = await startApi(dbUrl.replace(`:${pgPort}/`, `:${hung.port}/`), temporal.address);
      // Sign-in, the audit append and the Idempotency-Key each wait out their own connect: a GET has one.
      await expectOutage('postgres hung: GET /v1/incidents', 'postgres', () => timed(hungPg, 'GET', '/v1/incidents'), 3_500);
      // A POST also tries to append its audit entry (another 2 s connect) before the 503 leaves.
      await expectOutage(
        'postgres hung: POST /v1/incidents',
        'postgres',
        () => timed(hungPg, 'POST', '/v1/incidents', { programId: 'test-program', severity: 'sev2' }),
        6_000,
      );
    } finally {
      await hung.close();
    }
  });

  it('answers 503 for a Temporal that accepts connections and never answers, after the 5 s call deadline', async () => {
    const hung = await silentServer();
    try {
      const hungTemporal = await startApi(dbUrl, `127.0.0.1:${hung.port}`);
      await expectOutage(
        'temporal hung: GET /v1/programs/{id}',
        'temporal',
        () => timed(hungTemporal, 'GET', '/v1/programs/test-program'),
        7_000,
      );
    } finally {
      await hung.close();
    }
  });
});
