import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { route, type AnyRoute } from '../../api/route';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

let calls = 0;
let release: (() => void) | undefined;
const failures: number[] = [];

const create = route({
  method: 'post',
  path: '/v1/test/orders',
  summary: 'create',
  tags: ['test'],
  roles: ['lead'],
  body: z.object({ item: z.string(), slow: z.boolean().default(false) }),
  responses: { 201: { description: 'created' } },
  async handle({ body }) {
    calls += 1;
    if (body.slow) await new Promise<void>((r) => (release = r));
    const failure = failures.shift();
    if (failure) return { status: failure, body: { error: 'stand-in failure' } };
    return { status: 201, body: { order: calls, item: body.item }, headers: { Location: `/v1/test/orders/${calls}` } };
  },
});
// Stands for a program Update, whose effect is keyed by the Idempotency-Key itself (its update id).
let keyedCalls = 0;
const keyed = route({
  method: 'post',
  path: '/v1/test/updates',
  summary: 'update',
  tags: ['test'],
  roles: ['lead'],
  keyedByIdempotencyKey: true,
  body: z.object({ item: z.string(), slow: z.boolean().default(false) }),
  responses: { 200: { description: 'updated' } },
  async handle({ body }) {
    keyedCalls += 1;
    if (body.slow) await new Promise<void>((r) => (release = r));
    return { status: 200, body: { item: body.item } };
  },
});
const routes: AnyRoute[] = [create, keyed];

let db: TestDatabase;
let api: TestApi;
let lead: { token: string; personId: string };
beforeAll(async () => {
  db = await freshDatabase('idem');
  api = await startTestApi(testDeps(db.pool), routes);
  lead = await personWithToken(db.pool, ['lead']);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const post = (body: unknown, key?: string, token = lead.token) =>
  fetch(`${api.url}/v1/test/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

describe('Idempotency-Key', () => {
  it('replays the first answer to a repeated POST; the handler runs once', async () => {
    const before = calls;
    const first = await post({ item: 'bed' }, 'key-replay-1');
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await post({ item: 'bed' }, 'key-replay-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await again.json()).toEqual(firstBody);
    expect(calls).toBe(before + 1);
  });

  it('treats a reordered but equal JSON body as the same request', async () => {
    const before = calls;
    await post({ item: 'cot', slow: false }, 'key-order');
    const again = await post({ slow: false, item: 'cot' }, 'key-order');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(calls).toBe(before + 1);
  });

  it('answers 422 naming the header when the key is reused for another body', async () => {
    await post({ item: 'chair' }, 'key-reuse');
    const res = await post({ item: 'table' }, 'key-reuse');
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'idempotency_key_reused', header: 'Idempotency-Key' });
  });

  it('keeps keys per person', async () => {
    const other = await personWithToken(db.pool, ['lead']);
    const before = calls;
    await post({ item: 'lamp' }, 'key-person');
    const res = await post({ item: 'lamp' }, 'key-person', other.token);
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(calls).toBe(before + 2);
  });

  it('answers 409 to a duplicate while the first is still running', async () => {
    const first = post({ item: 'slow', slow: true }, 'key-inflight');
    while (!release) await new Promise((r) => setTimeout(r, 10));
    const dup = await post({ item: 'slow', slow: true }, 'key-inflight');
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: 'idempotency_key_in_flight', header: 'Idempotency-Key' });
    release();
    release = undefined;
    expect((await first).status).toBe(201);
    expect((await post({ item: 'slow', slow: true }, 'key-inflight')).headers.get('idempotent-replayed')).toBe('true');
  });

  it('lets a duplicate through while the first holds the key where the effect is keyed by it (an Update: the API may have died holding it)', async () => {
    const update = (body: unknown) =>
      fetch(`${api.url}/v1/test/updates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${lead.token}`, 'content-type': 'application/json', 'idempotency-key': 'key-keyed' },
        body: JSON.stringify(body),
      });
    // The release of the handler now waiting.
    const waiting = async () => {
      while (!release) await new Promise((r) => setTimeout(r, 10));
      const r = release;
      release = undefined;
      return r;
    };
    const first = update({ item: 'u', slow: true });
    const held = await waiting();
    const dup = update({ item: 'u', slow: true });
    (await waiting())();
    expect((await dup).status).toBe(200);
    expect(keyedCalls).toBe(2);
    // Another body under the key is still refused, and the stored answer is replayed.
    expect((await update({ item: 'other' })).status).toBe(422);
    held();
    expect((await first).status).toBe(200);
    const replayed = await update({ item: 'u', slow: true });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(keyedCalls).toBe(2);
  });

  it('stores a 4xx answer but lets a 5xx be retried for real', async () => {
    failures.push(503);
    const before = calls;
    expect((await post({ item: 'x' }, 'key-5xx')).status).toBe(503);
    const retried = await post({ item: 'x' }, 'key-5xx');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(calls).toBe(before + 2);

    failures.push(404);
    expect((await post({ item: 'y' }, 'key-4xx')).status).toBe(404);
    const replayed = await post({ item: 'y' }, 'key-4xx');
    expect(replayed.status).toBe(404);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses a malformed key with 400 and takes over an expired one', async () => {
    const bad = await post({ item: 'z' }, 'has spaces and is bad');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_idempotency_key' });

    await post({ item: 'old' }, 'key-expired');
    await db.pool.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'key-expired'`);
    const fresh = await post({ item: 'new' }, 'key-expired');
    expect(fresh.status).toBe(201);
    expect(((await fresh.json()) as { item: string }).item).toBe('new');
  });

  it('runs every POST without a key', async () => {
    const before = calls;
    await post({ item: 'a' });
    await post({ item: 'a' });
    expect(calls).toBe(before + 2);
  });
});
