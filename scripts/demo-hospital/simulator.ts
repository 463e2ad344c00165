/**
 * The demo hospital's day: registrations, orders, charges, lab results and dispensing, recorded in
 * the legacy HIS for every department and, for departments live on the new system, in the new
 * EMR/HIS as well, each vendor in its own conventions. A small rate of realistic discrepancies is
 * injected and returned as the truth, so the nightly comparison has something real to find.
 *
 * Deterministic per (businessDay, seed) and idempotent: a run replaces that business day on both
 * sides. Nothing here logs or throws row data.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { Client } from 'pg';
import { DEMO_DEPARTMENTS } from './catalog';
import { DEMO_DOMAIN_NAMES, DEMO_TIME_ZONE } from './domains';
import type { DiscrepancyKind, ScriptedDiscrepancies } from './discrepancies';
import { LEGACY_TABLES, NEW_TABLES, type Row } from './department-day';
import { planDay, type SimulateDayOptions, type SimulatedDay } from './plan-day';

async function insertRows(c: Client, table: string, rows: Row[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const cols = Object.keys(first).join(', ');
  for (let i = 0; i < rows.length; i += 5000) {
    await c.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`, [
      JSON.stringify(rows.slice(i, i + 5000)),
    ]);
  }
}

/** Errors carry the PostgreSQL code only: a driver message may quote row values. */
function sanitized(e: unknown, side: string): Error {
  const code = (e as { code?: unknown })?.code;
  return new Error(
    `demo-hospital: writing the ${side} system failed${typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (PostgreSQL error ${code})` : ''}`,
  );
}

async function inTransaction(url: string, side: string, tz: string, work: (c: Client) => Promise<void>): Promise<void> {
  const c = new Client({ connectionString: url, application_name: 'golive-demo-hospital' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('BEGIN');
    // Naive local times from the simulator are the hospital's wall clock.
    await c.query(`SELECT set_config('TimeZone', $1, true)`, [tz]);
    await work(c);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw sanitized(e, side);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Record one business day in both systems (replacing that day if it was recorded before) and
 * return the truth: rows per side and domain, and the injected discrepancies.
 */
export async function simulateDay(o: SimulateDayOptions): Promise<SimulatedDay> {
  const plan = planDay(o);
  const { businessDay, tz, window, liveDepartments } = plan.truth;
  const legacyLive = DEMO_DEPARTMENTS.filter((d) => liveDepartments.includes(d.code)).map((d) => d.legacyCode);

  await inTransaction(o.legacyUrl, 'legacy', tz, async (c) => {
    for (const domain of DEMO_DOMAIN_NAMES) {
      const t = LEGACY_TABLES[domain];
      await c.query(`DELETE FROM ${t.table} WHERE ${t.time} >= $1::date AND ${t.time} < $1::date + 1`, [businessDay]);
    }
    await c.query('DELETE FROM sys_dual_track WHERE biz_date = $1', [businessDay]);
    await c.query('INSERT INTO sys_dual_track (biz_date, dept_code) SELECT $1::date, unnest($2::text[])', [businessDay, legacyLive]);
    await c.query(
      `INSERT INTO pat_master SELECT * FROM json_populate_recordset(NULL::pat_master, $1::json) ON CONFLICT (pat_id) DO NOTHING`,
      [JSON.stringify(plan.legacyPatients)],
    );
    for (const domain of DEMO_DOMAIN_NAMES) await insertRows(c, LEGACY_TABLES[domain].table, plan.legacy[domain]);
  });

  await inTransaction(o.newUrl, 'new', tz, async (c) => {
    for (const domain of DEMO_DOMAIN_NAMES) {
      const t = NEW_TABLES[domain];
      await c.query(`DELETE FROM ${t.table} WHERE ${t.time} >= $1::timestamptz AND ${t.time} < $2::timestamptz`, [window.from, window.to]);
    }
    await c.query(
      `INSERT INTO patient SELECT * FROM json_populate_recordset(NULL::patient, $1::json) ON CONFLICT (patient_id) DO NOTHING`,
      [JSON.stringify(plan.newPatients)],
    );
    for (const domain of DEMO_DOMAIN_NAMES) await insertRows(c, NEW_TABLES[domain].table, plan.next[domain]);
  });

  return plan.truth;
}

export interface RunSimulatorOptions {
  legacyUrl: string;
  newUrl: string;
  tz?: string;
  /** Departments live on the new system right now (asked at every tick). */
  liveDepartments: () => readonly string[] | Promise<readonly string[]>;
  everyMs?: number;
  seed?: string;
  volume?: number;
  discrepancyRate?: number;
  kinds?: readonly DiscrepancyKind[];
  /** Scripted episodes (asked at every tick, after liveDepartments). */
  scripted?: () => readonly ScriptedDiscrepancies[] | Promise<readonly ScriptedDiscrepancies[]>;
  /** Record today up to now (default) or the whole of today at once. */
  untilNow?: boolean;
  now?: () => Date;
  onTick?: (day: SimulatedDay) => void;
  /** Tick failures (message without row data); the simulator keeps running. */
  onError?: (error: Error) => void;
}

export interface SimulatorHandle {
  /** Record today once, now (also what every interval does). */
  tick(): Promise<SimulatedDay>;
  /** Stop the loop and wait for a running tick to finish. */
  stop(): Promise<void>;
}

/** Record "today" for the live departments every `everyMs` (first tick at once), until stopped. */
export function runSimulator(o: RunSimulatorOptions): SimulatorHandle {
  const tz = o.tz ?? DEMO_TIME_ZONE;
  const now = o.now ?? (() => new Date());
  const abort = new AbortController();
  let chain: Promise<unknown> = Promise.resolve();

  const tick = (): Promise<SimulatedDay> => {
    const run = chain.then(async () => {
      const at = now();
      const day = await simulateDay({
        legacyUrl: o.legacyUrl,
        newUrl: o.newUrl,
        tz,
        businessDay: DateTime.fromJSDate(at, { zone: tz }).toISODate() as string,
        departments: [...(await o.liveDepartments())],
        scripted: o.scripted ? await o.scripted() : undefined,
        volume: o.volume,
        discrepancyRate: o.discrepancyRate,
        kinds: o.kinds,
        seed: o.seed,
        until: o.untilNow === false ? undefined : at,
      });
      o.onTick?.(day);
      return day;
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        await tick();
      } catch (e) {
        o.onError?.(e instanceof Error && e.message.startsWith('demo-hospital:') ? e : new Error('demo-hospital: simulator tick failed'));
      }
      await sleep(o.everyMs ?? 30_000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    tick,
    stop: async () => {
      abort.abort();
      await loop;
      await chain;
    },
  };
}
