/**
 * What a security reviewer asks of the audit trail: the runtime cannot rewrite it, a re-chained
 * history fails verification, odd text cannot break it, no success goes out without its entry,
 * refused reads of patient data leave a trace, and credential guessing is slowed down.
 */
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listAuditRoute, verifyAuditRoute } from '../../api/routes/audit';
import { downloadDifferencesRoute } from '../../api/routes/parallel-run';
import { downtimePacketRoute } from '../../api/routes/emergencies';
import { signInRoute } from '../../api/routes/session';
import { route, type AnyRoute } from '../../api/route';
import { appendAudit, entryHash, listAudit, verifyAuditChain, writeCheckpoint } from '../../platform/audit';
import { startAuditHousekeeping } from '../../platform/audit-anchor';
import { loadConfig } from '../../platform/config';
import { privilegeProblems } from '../../platform/db';
import { flushTallies } from '../../platform/tally';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

const entry = (n: number) => ({
  actor: 'p-test',
  roles: ['lead'],
  action: 'test.appended',
  target: { programId: `prog-${n % 3}` },
  result: 'ok',
  details: { n },
});

async function asOwner(db: TestDatabase, work: (su: PgClient) => Promise<void>) {
  const su = new PgClient({ connectionString: db.url });
  await su.connect();
  try {
    await work(su);
  } finally {
    await su.end();
  }
}

/** Waits for a fresh minute when the current one is nearly over: the counts are per minute. */
async function awayFromMinuteEnd() {
  const s = new Date().getSeconds();
  if (s > 45) await new Promise((r) => setTimeout(r, (61 - s) * 1000));
}

describe('the runtime role', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('rtrole');
    for (let i = 0; i < 3; i++) await appendAudit(db.appPool, entry(i));
  });
  afterAll(async () => db?.close());

  it('is neither superuser nor owner, and the owner is', async () => {
    expect(await privilegeProblems(db.appPool)).toEqual([]);
    expect(await privilegeProblems(db.pool)).toContain('connected as a superuser');
    const me = await db.appPool.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    expect(me.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
  });

  it('may append to the trail but not update, delete, truncate it, nor switch its triggers off', async () => {
    const denied = /permission denied|must be owner/;
    await expect(db.appPool.query(`UPDATE audit_log SET reason = 'x' WHERE seq = 1`)).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('TRUNCATE audit_log')).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')).rejects.toThrow(denied);
    await expect(db.appPool.query('ALTER TABLE audit_log DISABLE TRIGGER ALL')).rejects.toThrow(denied);
    await expect(db.appPool.query('DROP TRIGGER audit_log_append_only ON audit_log')).rejects.toThrow(denied);
    await expect(db.appPool.query(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('DELETE FROM audit_checkpoint')).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('DELETE FROM audit_chain_head')).rejects.toThrow(/permission denied/);
    // Not the owner: a grant is a no-op (PostgreSQL only warns), and UPDATE stays refused.
    await db.appPool.query('GRANT UPDATE ON audit_log TO PUBLIC');
    await expect(db.appPool.query(`UPDATE audit_log SET reason = 'x' WHERE seq = 1`)).rejects.toThrow(/permission denied/);
    await expect(db.appPool.query('ALTER TABLE audit_log OWNER TO CURRENT_USER')).rejects.toThrow(denied);
    expect((await appendAudit(db.appPool, entry(4))).seq).toBe(4);
    expect(await verifyAuditChain(db.appPool)).toEqual({ ok: true, count: 4 });
  });
});

describe('signed checkpoints', () => {
  const key = randomBytes(32);
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('anchor');
  });
  afterAll(async () => db?.close());

  it('anchor the head; a rewritten and re-chained history fails verification', async () => {
    expect(await writeCheckpoint(db.appPool, key)).toMatchObject({ n: 1, seq: 0 });
    for (let i = 0; i < 20; i++) await appendAudit(db.appPool, entry(i));
    expect(await writeCheckpoint(db.appPool, key)).toMatchObject({ n: 2, seq: 20 });
    expect(await writeCheckpoint(db.appPool, key)).toBeUndefined();
    for (let i = 20; i < 25; i++) await appendAudit(db.appPool, entry(i));
    expect(await verifyAuditChain(db.appPool, { key })).toEqual({
      ok: true,
      count: 25,
      checkpoints: 2,
      anchoredThrough: 20,
      unanchored: 5,
    });

    // What someone holding the owner's rights (not the key) can do: rewrite row 5 and recompute
    // every later hash, and the head, so the chain alone is consistent again.
    await asOwner(db, async (su) => {
      await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await su.query(`UPDATE audit_log SET result = 'rewritten' WHERE seq = 5`);
      const rows = (await listAudit(db.pool, { limit: 500 })).entries;
      let prev = rows[3]!.hash;
      for (const e of rows.slice(4)) {
        const hash = entryHash(prev, e);
        await su.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [prev, hash, e.seq]);
        prev = hash;
      }
      await su.query('UPDATE audit_chain_head SET hash = $1', [prev]);
    });
    // Without the key the chain looks intact; with it, the checkpoint at 20 no longer matches.
    expect(await verifyAuditChain(db.appPool)).toEqual({ ok: true, count: 25 });
    expect(await verifyAuditChain(db.appPool, { key })).toMatchObject({
      ok: false,
      problem: 'checkpoint_mismatch',
      breaks: [{ seq: 20, problem: 'checkpoint_mismatch', checkpoint: 2 }],
      anchoredThrough: 0,
    });
  });

  it('refuses a checkpoint signed with another key, and notices one taken out of the middle', async () => {
    const other = await freshDatabase('anchor2');
    try {
      for (let n = 0; n < 3; n++) {
        await appendAudit(other.appPool, entry(n));
        await writeCheckpoint(other.appPool, key);
      }
      expect(await verifyAuditChain(other.appPool, { key: randomBytes(32) })).toMatchObject({
        ok: false,
        problem: 'checkpoint_forged',
        breaksTotal: 3,
      });
      await asOwner(other, async (su) => {
        await su.query('ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_append_only');
        await su.query('DELETE FROM audit_checkpoint WHERE n = 2');
      });
      expect(await verifyAuditChain(other.appPool, { key })).toMatchObject({
        ok: false,
        breaks: [{ seq: 3, problem: 'checkpoint_missing', checkpoint: 3 }],
      });
    } finally {
      await other.close();
    }
  });
});

describe('the API and the trail', () => {
  let db: TestDatabase;
  let api: TestApi;
  let acted = 0;
  let lead: { personId: string; token: string };
  let viewer: { personId: string; token: string };
  const act = route({
    method: 'post',
    path: '/v1/test/things/{thingId}/actions',
    summary: 'act',
    tags: ['test'],
    roles: ['lead'],
    params: z.object({ thingId: z.string() }),
    body: z.object({ comment: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
    responses: { 200: { description: 'done' } },
    async handle() {
      acted += 1;
      return { status: 200, body: { acted } };
    },
  });
  const routes: AnyRoute[] = [act, listAuditRoute, verifyAuditRoute, downtimePacketRoute, downloadDifferencesRoute];

  beforeAll(async () => {
    db = await freshDatabase('apitrail');
    api = await startTestApi(testDeps(db.appPool), routes);
    lead = await personWithToken(db.pool, ['lead']);
    viewer = await personWithToken(db.pool, ['viewer']);
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });
  const post = (path: string, rawBody: string, token = lead.token) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: rawBody,
    });

  it('refuses text that is not valid Unicode with 400 naming the field, before anything is stored', async () => {
    const before = acted;
    const cases: [string, string, string][] = [
      ['/v1/test/things/t1/actions', '{"comment":"ok \\ud800 lone high surrogate"}', 'body.comment'],
      ['/v1/test/things/t1/actions', '{"comment":"lone low \\udc00"}', 'body.comment'],
      ['/v1/test/things/t1/actions', '{"comment":"nul \\u0000 inside"}', 'body.comment'],
      ['/v1/test/things/t1/actions', '{"labels":{"ward":"\\ud83d"}}', 'body.labels.ward'],
      ['/v1/test/things/t1/actions', '{"labels":{"\\ud800":"x"}}', 'body.labels.(key)'],
      ['/v1/test/things/t%00/actions', '{}', 'params.thingId'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      expect(res.status, body).toBe(400);
      const answer = (await res.json()) as { issues: { path: string; rule: string }[] };
      expect(answer.issues).toEqual([expect.objectContaining({ path: field, rule: 'unicode' })]);
    }
    // A surrogate encoded in UTF-8 in the path cannot even be decoded: 400 as well, and nothing acted.
    const encoded = await post('/v1/test/things/t%ED%A0%80/actions', '{}');
    expect(encoded.status).toBe(400);
    const query = await fetch(`${api.url}/v1/audit?actor=p%00x`, { headers: { authorization: `Bearer ${lead.token}` } });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe('query.actor');
    // A proper pair (an emoji) is fine.
    expect((await post('/v1/test/things/t1/actions', '{"comment":"fine \\ud83d\\ude00"}')).status).toBe(200);
    expect(acted).toBe(before + 1);
    // Even a surrogate that reaches the trail some other way cannot break it.
    await appendAudit(db.appPool, { actor: 'workflow:x', action: 'test', target: { k: 'v\ud800' }, reason: 'r\udc00\u0000', result: 'ok' });
    expect(await verifyAuditChain(db.appPool)).toMatchObject({ ok: true });
  });

  it('answers no 2xx without its audit entries: 503 and nothing done when the intent cannot be written, 503 when the outcome cannot', async () => {
    await asOwner(db, async (su) => {
      await su.query(`CREATE FUNCTION test_audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.reason = 'fail-' || NEW.result THEN RAISE EXCEPTION 'audit store failing'; END IF; RETURN NEW; END $$`);
      await su.query('CREATE TRIGGER test_audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_audit_fail()');
    });
    try {
      const before = acted;
      const intent = await post('/v1/test/things/t2/actions', '{"comment":"fail-started"}');
      expect(intent.status).toBe(503);
      expect(intent.headers.get('retry-after')).toBe('5');
      expect(await intent.json()).toMatchObject({ error: 'audit_unavailable', message: expect.stringContaining('nothing was done') });
      expect(acted).toBe(before);

      const outcome = await post('/v1/test/things/t2/actions', '{"comment":"fail-200"}');
      expect(outcome.status).toBe(503);
      expect(await outcome.json()).toMatchObject({ error: 'audit_unavailable', message: expect.stringContaining('was done') });
      expect(acted).toBe(before + 1);
      const { entries } = await listAudit(db.pool, { target: 't2' });
      // The first request's refusal, and the second's intent: the action done is not without a trace.
      expect(entries.map((e) => [e.result, e.reason])).toEqual([
        ['503', 'fail-started'],
        ['started', 'fail-200'],
      ]);
    } finally {
      await asOwner(db, (su) => su.query('DROP TRIGGER test_audit_fail ON audit_log').then(() => undefined));
    }
    expect(await verifyAuditChain(db.appPool)).toMatchObject({ ok: true });
  });

  it('audits a refused request for patient data (a viewer asking for a downtime packet or differences)', async () => {
    const auth = { authorization: `Bearer ${viewer.token}` };
    expect((await fetch(`${api.url}/v1/programs/prog-1/emergencies/1/packets/ICU`, { headers: auth })).status).toBe(403);
    expect(
      (
        await fetch(`${api.url}/v1/programs/prog-1/parallel-run/runs/00000000-0000-0000-0000-000000000000/differences.csv`, {
          headers: auth,
        })
      ).status,
    ).toBe(403);
    const { entries } = await listAudit(db.pool, { actor: viewer.personId });
    expect(entries.map((e) => [e.action, e.target, e.result])).toEqual([
      [
        'GET /v1/programs/{programId}/emergencies/{emergency}/packets/{department}',
        { programId: 'prog-1', emergency: '1', department: 'ICU' },
        '403',
      ],
      [
        'GET /v1/programs/{programId}/parallel-run/runs/{runId}/differences.csv',
        { programId: 'prog-1', runId: '00000000-0000-0000-0000-000000000000' },
        '403',
      ],
    ]);
  });
});

describe('limits on guessing credentials', () => {
  let db: TestDatabase;
  let api: TestApi;
  const limit = 30;
  const probe = route({
    method: 'get',
    path: '/v1/test/probe',
    summary: 'probe',
    tags: ['test'],
    roles: ['viewer'],
    responses: { 200: { description: 'ok' } },
    handle: async () => ({ status: 200, body: {} }),
  });
  beforeAll(async () => {
    db = await freshDatabase('ratelimit');
    const config = loadConfig({ AUTH_FAILURES_PER_MINUTE: String(limit), SIGN_INS_PER_MINUTE: '3' });
    api = await startTestApi(testDeps(db.appPool, { config }), [signInRoute, probe]);
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });
  const signIn = (token: string) =>
    fetch(`${api.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

  it(`answers 429 with Retry-After after ${limit} failed sign-ins from one address, for every credential, and counts them in one entry`, async () => {
    await awayFromMinuteEnd();
    const t0 = performance.now();
    let accepted = 0;
    let first429: Response | undefined;
    for (let i = 0; i < limit + 20 && !first429; i++) {
      const res = await signIn(`glv_${randomBytes(32).toString('base64url')}`);
      if (res.status === 401) accepted += 1;
      else if (res.status === 429) first429 = res;
      else throw new Error(`unexpected ${res.status}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(accepted).toBe(limit);
    expect(first429).toBeDefined();
    const retryAfter = Number(first429!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await first429!.json()).toMatchObject({ error: 'too_many_requests' });
    console.log(
      `failed sign-ins accepted before 429: ${accepted} in ${seconds.toFixed(3)} s (${(accepted / seconds).toFixed(0)}/s burst), then 429 for the rest of the minute`,
    );

    // A valid credential from the same address is refused too: a 200 would tell a hit from a guess.
    const person = await personWithToken(db.pool, ['viewer']);
    expect((await fetch(`${api.url}/v1/test/probe`, { headers: { authorization: `Bearer ${person.token}` } })).status).toBe(429);
    expect((await signIn(person.token)).status).toBe(429);

    // No row per failure: one count, one entry once the minute closes.
    expect((await listAudit(db.pool, {})).entries).toEqual([]);
    await db.pool.query(`UPDATE request_tally SET minute = minute - interval '1 minute' WHERE kind = 'auth_failure'`);
    expect(await flushTallies(db.appPool)).toBe(1);
    const { entries } = await listAudit(db.pool, {});
    expect(entries).toEqual([
      expect.objectContaining({
        actor: 'anonymous',
        action: 'auth.failed',
        target: { source: '127.0.0.1' },
        result: '401',
        details: expect.objectContaining({ counted: 'auth_failure', count: limit + 3 }),
      }),
    ]);
  }, 90_000);

  it('limits sign-ins per token', async () => {
    const other = await freshDatabase('signins');
    const app = await startTestApi(testDeps(other.appPool, { config: loadConfig({ SIGN_INS_PER_MINUTE: '3' }) }), [signInRoute]);
    try {
      await awayFromMinuteEnd();
      const person = await personWithToken(other.pool, ['viewer']);
      const go = () =>
        fetch(`${app.url}/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: person.token }),
        });
      expect([(await go()).status, (await go()).status, (await go()).status]).toEqual([201, 201, 201]);
      const fourth = await go();
      expect(fourth.status).toBe(429);
      expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(fourth.headers.get('set-cookie')).toBeNull();
    } finally {
      await app.close();
      await other.close();
    }
  }, 90_000);
});

describe('audit housekeeping of an API process', () => {
  let db: TestDatabase;
  afterAll(async () => db?.close());

  it("writes the closed minutes' counts into the trail, then signs a checkpoint that covers them, and logs it", async () => {
    db = await freshDatabase('housekeep');
    const key = randomBytes(32);
    await db.appPool.query(
      `INSERT INTO request_tally (kind, subject, minute, count, details) VALUES ('auth_failure', '10.0.0.9', date_trunc('minute', now()) - interval '2 minutes', 42, '{"actor":"anonymous","action":"auth.failed","target":{"source":"10.0.0.9"}}')`,
    );
    const logged: unknown[] = [];
    const logger = { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) } as unknown as Parameters<
      typeof startAuditHousekeeping
    >[0]['logger'];
    const hk = startAuditHousekeeping({ pool: db.appPool, key, everyMs: 60_000, logger });
    try {
      await hk.tick();
      await hk.tick();
    } finally {
      hk.stop();
    }
    expect((await listAudit(db.pool, {})).entries).toEqual([
      expect.objectContaining({ seq: 1, action: 'auth.failed', details: expect.objectContaining({ count: 42 }) }),
    ]);
    expect(await verifyAuditChain(db.appPool, { key })).toEqual({ ok: true, count: 1, checkpoints: 1, anchoredThrough: 1, unanchored: 0 });
    expect(logged).toEqual([expect.objectContaining({ auditCheckpoint: 1, seq: 1 })]);
  });
});
