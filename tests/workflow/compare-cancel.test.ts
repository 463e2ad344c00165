/**
 * Heartbeats and cancellation that mean something: the comparison activity heartbeats the
 * engine's progress (not a timer), and cancelling it (or aborting the engine) cancels the
 * engine's queries on PostgreSQL: the backend stops within seconds (pg_stat_activity).
 */
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createParallelRunActivities, type CompareNightInput } from '../../activities/parallel-run';
import { compareDomain, type CompareProgress } from '../../compare';

import { ComparisonDomain } from '../../domain/plan';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { sdkTestLogger } from '../helpers/logs';

vi.setConfig({ testTimeout: 60_000 });

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('compare_cancel');
  await db.pool.query(
    `CREATE TABLE charges AS SELECT 'c' || lpad(i::text, 6, '0') AS id, (i % 100)::numeric AS amount FROM generate_series(1, 20000) g(i)`,
  );
});
afterAll(async () => db?.close());

// A source whose query sleeps a minute before its first row: a stuck query, as far as the engine can tell.
const SLOW = 'SELECT c.id, c.amount FROM charges c, (SELECT 1 FROM pg_sleep(60)) s(x)';
const FAST = 'SELECT id, amount FROM charges';
const WINDOW = { from: '2026-04-01T16:00:00.000Z', to: '2026-04-02T16:00:00.000Z' };
const spec = { name: 'charges', key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' as const }] };

/** The comparison's backends still running the sleeping query. */
async function sleeping(): Promise<number> {
  const r = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'golive-compare' AND state = 'active' AND query LIKE '%pg_sleep(60)%'`,
  );
  return r.rows[0]!.n;
}

async function until(what: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await what())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

describe('the engine', () => {
  it('stops its queries on the servers when aborted, and fails CANCELLED', async () => {
    const ac = new AbortController();
    const runId = '0c0c0c0c-1111-4222-8333-444444444444';
    const phases: string[] = [];
    const run = compareDomain(
      {
        spec,
        runId,
        legacy: { kind: 'postgres', url: db.url, query: SLOW },
        new: { kind: 'postgres', url: db.url, query: SLOW },
        window: WINDOW,
        resultsUrl: db.url,
      },
      { signal: ac.signal, onProgress: (p) => phases.push(p.phase) },
    );
    run.catch(() => undefined);
    await until(async () => (await sleeping()) === 2, 20_000); // both sides' streams
    expect(phases.at(-1)).toBe('merge');
    ac.abort();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await until(async () => (await sleeping()) === 0, 5_000)).toBeLessThan(5_000);
    const { rows } = await db.pool.query(`SELECT status, error_code FROM comparison_run WHERE id = $1`, [runId]);
    expect(rows).toEqual([{ status: 'failed', error_code: 'CANCELLED' }]);
  });
});

describe('compareNight activity', () => {
  const domain = (query: string) =>
    ComparisonDomain.parse({
      name: 'charges',
      spec,
      legacy: { kind: 'postgres', connection: { urlEnv: 'LEGACY_DB_URL' }, query },
      new: { kind: 'postgres', connection: { urlEnv: 'NEW_DB_URL' }, query },
    });
  const night = (query: string): CompareNightInput => ({
    programId: 'prog-1',
    domain: domain(query),
    businessDay: '2026-04-02',
    window: WINDOW,
    departments: [],
    settleMs: 0,
    scheduledAtMs: Date.parse('2026-04-02T18:00:00Z'),
  });
  const activities = () => createParallelRunActivities({ pool: db.pool, secrets: { LEGACY_DB_URL: db.url, NEW_DB_URL: db.url } });

  it('heartbeats its progress from the merge: key range and rows read so far', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: sdkTestLogger() });
    const beats: CompareProgress[] = [];
    env.on('heartbeat', (d: CompareProgress) => beats.push(d));
    const r = await env.run(activities().compareNight, night(FAST));
    expect(r).toMatchObject({ rowsLegacy: 20000, rowsNew: 20000, differingKeys: 0 });
    const merge = beats.filter((b) => b.phase === 'merge' && b.rowsLegacy !== undefined);
    expect(merge.length).toBeGreaterThan(1);
    expect(merge.at(-1)).toEqual({ phase: 'merge', range: { lo: null, hi: null }, rowsLegacy: 20000, rowsNew: 20000 });
    // rows so far only grow
    for (let i = 1; i < merge.length; i++)
      expect(merge[i]!.rowsLegacy! + merge[i]!.rowsNew!).toBeGreaterThanOrEqual(merge[i - 1]!.rowsLegacy! + merge[i - 1]!.rowsNew!);
    expect(beats.map((b) => b.phase)).toEqual(expect.arrayContaining(['code maps', 'hash check', 'merge', 'tally']));
  });

  it('does not heartbeat through a stuck query, and cancelling it stops the query on the server', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: sdkTestLogger() });
    const beats: CompareProgress[] = [];
    env.on('heartbeat', (d: CompareProgress) => beats.push(d));
    const run = env.run(activities().compareNight, night(SLOW));
    run.catch(() => undefined);
    await until(async () => (await sleeping()) === 2, 20_000);
    const before = beats.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(beats.length).toBe(before); // no timer beats while the query is stuck
    env.cancel();
    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
    expect(await until(async () => (await sleeping()) === 0, 5_000)).toBeLessThan(5_000);
  });
});
