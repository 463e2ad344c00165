import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import { loadConfig } from '../../platform/config';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

/**
 * The read path of program state through the real app (createApp, auth, routes) over a Temporal
 * stand-in that counts the queries it answers: what issue 15 is about is how many reach it.
 */
const fake = {
  queries: 0,
  updates: 0,
  phase: 'readiness',
  /** Makes the next queries fail with this error, until cleared. */
  failWith: undefined as Error | undefined,
  /** Each query takes this long (so concurrent callers overlap it). */
  queryMs: 50,
};

const fakeTemporal = {
  workflow: {
    getHandle: (workflowId: string) => ({
      workflowId,
      client: { connection: { withDeadline: <T>(_deadline: number, call: () => Promise<T>) => call() } },
      async query() {
        fake.queries++;
        await new Promise((r) => setTimeout(r, fake.queryMs));
        if (fake.failWith) throw fake.failWith;
        return { programId: 'prog-1', phase: fake.phase, departments: [], gates: [] };
      },
      async startUpdate() {
        fake.updates++;
        fake.phase = 'gate-requested';
        return { updateId: 'u-1', result: async () => ({ gate: 'readiness', status: 'open' }) };
      },
    }),
  },
} as unknown as Client;

let db: TestDatabase;
let api: TestApi;
let offApi: TestApi;
let viewer: Record<string, string>;
let lead: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase('live_reads_api');
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ('prog-1', $1, 'x', 'Test', 'test')`, [
    { ...testPlan(), programId: 'prog-1' },
  ]);
  api = await startTestApi(testDeps(db.pool, { temporal: fakeTemporal }));
  offApi = await startTestApi(
    testDeps(db.pool, { temporal: fakeTemporal, config: loadConfig({ NODE_ENV: 'test', LIVE_READ_FRESH_MS: '0' }) }),
  );
  const bearer = async (roles: Parameters<typeof personWithToken>[1]) => ({
    authorization: `Bearer ${(await personWithToken(db.pool, roles)).token}`,
  });
  viewer = await bearer(['viewer']);
  lead = await bearer(['lead']);
});
afterAll(async () => {
  await api?.close();
  await offApi?.close();
  await db?.close();
});
beforeEach(async () => {
  // Past the bound of whatever an earlier test left.
  await new Promise((r) => setTimeout(r, 1050));
  fake.queries = 0;
  fake.failWith = undefined;
  fake.queryMs = 50;
});

const status = (headers: Record<string, string>, base = api) => fetch(`${base.url}/v1/programs/prog-1`, { headers });

describe('program status reads (issue 15)', () => {
  it('50 concurrent GETs cause one query; a GET within the bound none; one after it one', async () => {
    const all = await Promise.all(Array.from({ length: 50 }, () => status(viewer)));
    expect(all.map((r) => r.status)).toEqual(Array(50).fill(200));
    const bodies = await Promise.all(all.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(fake.queries).toBe(1);

    expect((await status(viewer)).status).toBe(200);
    expect(fake.queries).toBe(1);
    await new Promise((r) => setTimeout(r, 1050));
    expect((await status(viewer)).status).toBe(200);
    expect(fake.queries).toBe(2);
  });

  it('answers 304 without a body to the ETag of unchanged state, and 200 with a new ETag after a change', async () => {
    const first = await status(viewer);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const same = await status({ ...viewer, 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    // A list of tags, or the weak form of ours, matches too.
    expect((await status({ ...viewer, 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await status({ ...viewer, 'if-none-match': '"other"' })).status).toBe(200);
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    expect(doc.paths['/v1/programs/{programId}']!.get!.responses['304']).toBeDefined();

    fake.phase = 'pilot';
    await new Promise((r) => setTimeout(r, 1050));
    const changed = await status({ ...viewer, 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { phase: string }).phase).toBe('pilot');
    expect(changed.headers.get('etag')).not.toBe(etag);
    fake.phase = 'readiness';
  });

  it("a decision's response is followed at once by a read that shows it, within the bound", async () => {
    const before = (await (await status(viewer)).json()) as { phase: string };
    expect(before.phase).toBe('readiness');
    const decided = await fetch(`${api.url}/v1/programs/prog-1/gates/readiness/requests`, {
      method: 'POST',
      headers: { ...lead, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({}),
    });
    expect(decided.status).toBe(200);
    const after = (await (await status(viewer)).json()) as { phase: string };
    expect(after.phase).toBe('gate-requested');
    expect(fake.queries).toBe(2);
    fake.phase = 'readiness';
  });

  it('shares an error among the callers in flight but never keeps it (404, 503)', async () => {
    fake.failWith = new WorkflowNotFoundError('gone', 'program:prog-1', undefined);
    const gone = await Promise.all(Array.from({ length: 10 }, () => status(viewer)));
    expect(gone.map((r) => r.status)).toEqual(Array(10).fill(404));
    expect(fake.queries).toBe(1);

    fake.failWith = Object.assign(new Error('unavailable'), { code: 14, details: 'connection refused', metadata: {} });
    const down = await status(viewer);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { dependency: string }).dependency).toBe('temporal');
    expect(fake.queries).toBe(2);

    fake.failWith = undefined;
    const back = await status(viewer);
    expect(back.status).toBe(200);
    expect(fake.queries).toBe(3);
  });

  it('a program that does not exist is 404 every time, without a query', async () => {
    const res = await fetch(`${api.url}/v1/programs/no-such`, { headers: viewer });
    expect(res.status).toBe(404);
    expect(fake.queries).toBe(0);
  });

  it('no token, a bad token: 401 before any cache, never a cached body nor a 304', async () => {
    const ok = await status(viewer);
    const etag = ok.headers.get('etag')!;
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { 'if-none-match': etag }];
    for (const headers of attempts) {
      const res = await status(headers);
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.phase).toBeUndefined();
      expect(res.headers.get('etag')).toBeNull();
    }
  });

  it('the wrong role: 403 before the workflow is touched, and the cached state stays', async () => {
    await status(viewer);
    const updates = fake.updates;
    const res = await fetch(`${api.url}/v1/programs/prog-1/gates/readiness/requests`, {
      method: 'POST',
      headers: { ...viewer, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({}),
    });
    expect(res.status).toBe(403);
    expect(fake.updates).toBe(updates);
    await status(viewer);
    expect(fake.queries).toBe(1);
  });

  it('with LIVE_READ_FRESH_MS=0 every read queries', async () => {
    await Promise.all(Array.from({ length: 5 }, () => status(viewer, offApi)));
    expect(fake.queries).toBe(5);
  });

  it('GET /metrics shows a request under its route template, never its path, and the cache outcomes', async () => {
    await status(viewer);
    await status(viewer);
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/http_request_duration_seconds_count\{route="\/v1\/programs\/:programId",method="GET",status_class="2xx"\} \d+/);
    expect(text).not.toContain('prog-1');
    expect(text).toMatch(/golive_live_reads_total\{outcome="hit"\} \d+/);
    expect(text).toMatch(/golive_live_reads_total\{outcome="miss"\} \d+/);
    expect(text).toMatch(/http_requests_in_flight \d+/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });
});

describe('GET /metrics access', () => {
  it('is refused to a client that is not on loopback (its address through a trusted proxy), unless METRICS_ACCESS=any', async () => {
    const behindProxy = (access: string) =>
      startTestApi(
        testDeps(db.pool, {
          temporal: fakeTemporal,
          config: loadConfig({ NODE_ENV: 'test', TRUST_PROXY: 'loopback', METRICS_ACCESS: access }),
        }),
      );
    const closed = await behindProxy('loopback');
    const open = await behindProxy('any');
    try {
      const outside = { 'x-forwarded-for': '203.0.113.5' };
      const refused = await fetch(`${closed.url}/metrics`, { headers: outside });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toBe('forbidden');
      expect((await fetch(`${closed.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.url}/metrics`, { headers: outside })).status).toBe(200);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
