import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuditActivities } from '../../activities/audit';
import { route, type AnyRoute } from '../../api/route';
import { listAuditRoute, verifyAuditRoute } from '../../api/routes/audit';
import { appendAudit, genesisHash, listAudit, verifyAuditChain, writeCheckpoint } from '../../platform/audit';
import { flushTallies } from '../../platform/tally';
import { createPool } from '../../platform/db';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { adminCli } from '../helpers/admin';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

const decide = route({
  method: 'post',
  path: '/v1/test/programs/{programId}/gates/{gateId}/decision',
  summary: 'decide',
  tags: ['test'],
  roles: ['leadership'],
  params: z.object({ programId: z.string(), gateId: z.string() }),
  body: z.object({ decision: z.enum(['go', 'no-go']), reason: z.string().optional() }),
  responses: { 200: { description: 'decided' } },
  async handle({ body }) {
    return { status: 200, body: { decided: body.decision } };
  },
});
const read = route({
  ...decide,
  method: 'get',
  body: undefined,
  path: '/v1/test/programs/{programId}/gates/{gateId}',
  handle: async () => ({ status: 200, body: {} }),
});
const routes: AnyRoute[] = [decide, read, listAuditRoute, verifyAuditRoute];

const entry = (n: number) => ({
  actor: 'p-test',
  roles: ['lead'],
  action: 'test.appended',
  target: { programId: `prog-${n % 3}` },
  result: 'ok',
  details: { n, nested: { b: 2, a: [1, 'x'] } },
});

describe('audit of API requests', () => {
  let db: TestDatabase;
  let api: TestApi;
  let boss: { personId: string; token: string };
  let viewer: { personId: string; token: string };
  beforeAll(async () => {
    db = await freshDatabase('audit');
    // The API connects as the runtime role, as in production.
    api = await startTestApi(testDeps(db.appPool), routes);
    boss = await personWithToken(db.pool, ['leadership']);
    viewer = await personWithToken(db.pool, ['viewer']);
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });

  const decideAs = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}/v1/test/programs/prog-1/gates/g-2/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify(body),
    });

  it('records a state-changing request (its intent, then its outcome), a refused one and an invalid one, but not a read; counts a failed authentication', async () => {
    const ok = await decideAs(boss.token, { decision: 'go', reason: 'all criteria met' }, { 'x-request-id': 'req-audit-0001' });
    expect(ok.status).toBe(200);
    expect((await decideAs(viewer.token, { decision: 'no-go', reason: 'I object' })).status).toBe(403);
    expect((await decideAs(undefined, { decision: 'go' })).status).toBe(401);
    expect((await decideAs(boss.token, { decision: 'maybe' })).status).toBe(400);
    const get = await fetch(`${api.url}/v1/test/programs/prog-1/gates/g-2`, { headers: { authorization: `Bearer ${boss.token}` } });
    expect(get.status).toBe(200);

    // Written before the answer left: no waiting needed.
    const { entries } = await listAudit(db.pool, {});
    expect(entries.map((e) => [e.seq, e.actor, e.roles, e.result, e.reason])).toEqual([
      [1, boss.personId, ['leadership'], 'started', 'all criteria met'],
      [2, boss.personId, ['leadership'], '200', 'all criteria met'],
      [3, viewer.personId, ['viewer'], '403', null],
      [4, boss.personId, ['leadership'], '400', null],
    ]);
    // The 401 is counted per source and minute, to become one entry when the minute closes.
    const tally = await db.pool.query(`SELECT kind, subject, count FROM request_tally`);
    expect(tally.rows).toEqual([{ kind: 'auth_failure', subject: '127.0.0.1', count: '1' }]);
    expect(entries[0]).toMatchObject({
      action: 'POST /v1/test/programs/{programId}/gates/{gateId}/decision',
      target: { programId: 'prog-1', gateId: 'g-2' },
      requestId: 'req-audit-0001',
      prevHash: genesisHash,
      eventKey: null,
    });
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    await db.pool.query('DELETE FROM request_tally');
  });

  it('serves the trail to leadership, paged and filtered, with its verification; refuses a viewer', async () => {
    await appendAudit(db.pool, {
      actor: 'workflow:program',
      action: 'gate.decided',
      target: { workflowId: 'program:prog-9' },
      result: 'approved',
    });
    const auth = { authorization: `Bearer ${boss.token}` };
    type Page = { entries: { seq: number; result: string }[]; nextAfter: number | null; nextBefore: number | null };
    const getPage = async (query: string) => (await (await fetch(`${api.url}/v1/audit${query}`, { headers: auth })).json()) as Page;
    const page1 = await getPage('?limit=2');
    expect(page1.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(page1.nextAfter).toBe(2);
    const page2 = await getPage('?limit=2&after=2');
    expect(page2.entries.map((e) => e.seq)).toEqual([3, 4]);
    // Newest first, as the command center reads it.
    const newest = await getPage('?limit=2&before=0');
    expect(newest.entries.map((e) => e.seq)).toEqual([5, 4]);
    expect(newest.nextBefore).toBe(4);
    const older = await getPage('?limit=2&before=4');
    expect(older.entries.map((e) => e.seq)).toEqual([3, 2]);
    expect((await getPage('?limit=10&before=3')).nextBefore).toBeNull();

    const forTarget = await getPage('?target=program:prog-9');
    expect(forTarget).toMatchObject({ entries: [{ action: 'gate.decided', result: 'approved' }], nextAfter: null });
    const byActor = await getPage(`?actor=${viewer.personId}`);
    expect(byActor.entries.map((e) => e.result)).toEqual(['403']);

    const verify = await fetch(`${api.url}/v1/audit/verify`, { headers: auth });
    // No checkpoint signed yet: intact, but nothing anchored.
    expect(await verify.json()).toEqual({ ok: true, count: 5, checkpoints: 0, anchoredThrough: 0, unanchored: 5 });
    const refused = await fetch(`${api.url}/v1/audit`, { headers: { authorization: `Bearer ${viewer.token}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ missingRoles: ['admin', 'lead', 'leadership'] });
  });

  it('counts idempotent replays, one entry per key and minute instead of one per replay', async () => {
    const key = { 'idempotency-key': 'audit-replay-1' };
    await decideAs(boss.token, { decision: 'go' }, key);
    const before = (await listAudit(db.pool, { before: 0, limit: 1 })).entries[0]!.seq;
    for (let i = 0; i < 5; i++) {
      const replay = await decideAs(boss.token, { decision: 'go' }, key);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect((await listAudit(db.pool, { before: 0, limit: 1 })).entries[0]!.seq).toBe(before);
    // The minute closes (moved back here rather than waited for): its count becomes one entry.
    await db.pool.query(`UPDATE request_tally SET minute = minute - interval '1 minute'`);
    expect(await flushTallies(db.appPool)).toBe(1);
    expect(await flushTallies(db.appPool)).toBe(0);
    const { entries } = await listAudit(db.pool, { actor: boss.personId });
    expect(entries.at(-1)).toMatchObject({
      action: 'POST /v1/test/programs/{programId}/gates/{gateId}/decision',
      target: { programId: 'prog-1', gateId: 'g-2', idempotencyKey: 'audit-replay-1' },
      result: 'replayed',
      details: { counted: 'idempotent_replay', count: 5 },
    });
  });
});

describe('the hash chain', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('chain');
  });
  afterAll(async () => db?.close());

  /** What a superuser could do: switch the append-only trigger off, change history, switch it on. */
  async function tamper(sql: string) {
    const su = new PgClient({ connectionString: db.url });
    await su.connect();
    try {
      await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await su.query(sql);
      await su.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    } finally {
      await su.end();
    }
  }

  it('verifies an empty chain', async () => {
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, count: 0 });
  });

  it('stays linear under concurrent appends from many connections', async () => {
    // Two pools of 20: as many connections as several API instances and workers would hold.
    const pools = [createPool(db.url, 20), createPool(db.url, 20)];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => appendAudit(pools[i % 2]!, entry(i)))).finally(() =>
      Promise.all(pools.map((p) => p.end())),
    );
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await verifyAuditChain(db.pool, 7)).toEqual({ ok: true, count: 60 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE, even to the owner', async () => {
    await expect(db.pool.query(`UPDATE audit_log SET reason = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only \(UPDATE/);
    await expect(db.pool.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only \(DELETE/);
    await expect(db.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only \(TRUNCATE/);
    await expect(db.pool.query('DELETE FROM audit_chain_head')).rejects.toThrow(/append-only/);
  });

  it('detects an edited row at its sequence number', async () => {
    await tamper(`UPDATE audit_log SET result = 'rewritten' WHERE seq = 17`);
    expect(await verifyAuditChain(db.pool, 7)).toMatchObject({
      ok: false,
      count: 16,
      brokenAt: 17,
      problem: 'hash_mismatch',
      breaks: [{ seq: 17, problem: 'hash_mismatch' }],
    });
  });

  it('reports every break, not only the first', async () => {
    await tamper(`UPDATE audit_log SET result = 'rewritten' WHERE seq IN (30, 45)`);
    await tamper(`UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 50`);
    const v = await verifyAuditChain(db.pool, 7);
    expect(v).toMatchObject({ ok: false, brokenAt: 17, breaksTotal: 5 });
    expect(v.breaks).toEqual([
      { seq: 17, problem: 'hash_mismatch' },
      { seq: 30, problem: 'hash_mismatch' },
      { seq: 45, problem: 'hash_mismatch' },
      { seq: 50, problem: 'hash_mismatch' },
      { seq: 51, problem: 'prev_hash_mismatch' },
    ]);
  });

  it('detects a deleted row, and a deleted tail', async () => {
    const other = await freshDatabase('chain2');
    try {
      for (let i = 0; i < 10; i++) await appendAudit(other.pool, entry(i));
      const su = new PgClient({ connectionString: other.url });
      await su.connect();
      await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await su.query('DELETE FROM audit_log WHERE seq = 10');
      expect(await verifyAuditChain(other.pool)).toMatchObject({ ok: false, count: 9, brokenAt: 10, problem: 'missing', breaksTotal: 1 });
      await su.query('DELETE FROM audit_log WHERE seq = 4');
      await su.end();
      expect(await verifyAuditChain(other.pool)).toMatchObject({
        ok: false,
        count: 3,
        brokenAt: 4,
        problem: 'missing',
        breaks: [
          { seq: 4, problem: 'missing' },
          { seq: 10, problem: 'missing' },
        ],
      });
    } finally {
      await other.close();
    }
  });
});

describe('recordAudit activity', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('auditact');
  });
  afterAll(async () => db?.close());

  it('appends a workflow transition once per event key', async () => {
    const { recordAudit } = createAuditActivities({ pool: db.pool });
    const input = {
      eventKey: 'program:prog-1:gate-decided:g-2',
      actor: 'p-board-01',
      roles: ['leadership' as const],
      action: 'gate.decided',
      target: { workflowId: 'program:prog-1', programId: 'prog-1', gateId: 'g-2' },
      reason: 'criteria met',
      result: 'approved',
      details: { criteriaMet: 7 },
    };
    expect(await recordAudit(input)).toEqual({ seq: 1, duplicate: false });
    expect(await recordAudit(input)).toEqual({ seq: 1, duplicate: true });
    expect(await recordAudit({ ...input, eventKey: 'program:prog-1:wave-started:1', action: 'wave.started', result: 'started' })).toEqual({
      seq: 2,
      duplicate: false,
    });
    const { entries } = await listAudit(db.pool, { target: 'prog-1' });
    expect(entries.map((e) => [e.eventKey, e.action, e.reason])).toEqual([
      ['program:prog-1:gate-decided:g-2', 'gate.decided', 'criteria met'],
      ['program:prog-1:wave-started:1', 'wave.started', 'criteria met'],
    ]);
    await expect(recordAudit({ ...input, eventKey: '' })).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, count: 2 });
  });
});

describe('admin command line', () => {
  const cliKey = randomBytes(32);
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('admincli');
  });
  afterAll(async () => db?.close());

  const cli = adminCli(() => db, cliKey.toString('hex'));
  const admin = (...args: string[]) => cli(args);

  it('adds a person, issues a token shown once, lists people, and verifies the chain (exit 0, then 1)', async () => {
    const added = await admin(
      'person',
      'add',
      '--id',
      'p-lead-01',
      '--name',
      'Cutover Lead',
      '--email',
      'lead@hospital.test',
      '--roles',
      'lead,viewer',
    );
    expect(added).toMatchObject({ code: 0, stdout: 'added p-lead-01 (lead, viewer)\n' });
    expect(
      (await admin('person', 'add', '--id', 'p-lead-01', '--name', 'Cutover Lead', '--email', 'lead@hospital.test', '--roles', 'lead'))
        .stdout,
    ).toBe('updated p-lead-01 (lead)\n');
    expect((await admin('person', 'add', '--id', 'p-x', '--name', 'X', '--email', 'x@hospital.test', '--roles', 'boss')).code).not.toBe(0);

    const issued = await admin('token', 'issue', '--person', 'p-lead-01');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^glv_[A-Za-z0-9_-]{43}\n$/);
    const listed = await admin('people', 'list');
    expect(listed.stdout).toBe('p-lead-01\tCutover Lead\tlead\tenabled\t1 active token(s)\n');
    expect(listed.stdout).not.toContain('hospital.test');

    await writeCheckpoint(db.appPool, cliKey);
    const verified = await admin('audit', 'verify');
    expect(verified).toMatchObject({
      code: 0,
      stdout: 'audit chain intact: 3 entries; 1 signed checkpoint(s), anchored through 3, 0 newer\n',
    });
    const { entries } = await listAudit(db.pool, { actor: 'admin-cli' });
    expect(entries.map((e) => e.action)).toEqual(['person.added', 'person.updated', 'token.issued']);

    const su = new PgClient({ connectionString: db.url });
    await su.connect();
    await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await su.query(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`);
    await su.end();
    const broken = await admin('audit', 'verify');
    expect(broken).toMatchObject({
      code: 1,
      stdout:
        'audit chain BROKEN at sequence 2 (hash_mismatch); 1 entries intact before it; 1 break(s); 1 signed checkpoint(s), anchored through 3, 0 newer\n  seq 2: hash_mismatch\n',
    });
  }, 60_000);
});
