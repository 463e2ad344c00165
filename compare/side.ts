/**
 * One side of a comparison: its connections, all on one exported REPEATABLE READ snapshot, the
 * window bound into its query, what its server can do (traits, fixed-offset zones), its SQL.
 */
import { Client, escapeLiteral, type FieldDef } from 'pg';
import { one } from './result';
import { comparisonStream } from './socket';
import type { OpenedSource } from './sources';
import type { DomainSpec } from './spec';
import { comparedFields, type ColumnTypes, type Side } from './sql/columns';
import { fieldPlan, keyExprs, type CodeMapSql } from './sql/fields';
import { caseFoldedColumns } from './sql/normalize';
import type { SideSql } from './sql/queries';
import { ASCII_PROBE, asciiCaseSql, instantHash, type ServerTraits } from './sql/traits';
import { bindWindow, fixedOffsetSql, type FixedOffsets } from './sql/window';

/** The hashes both servers must agree on, with each server's own way of hashing an instant. */
export function hashCheckSql(traits: ServerTraits): string {
  return `SELECT concat_ws(',',
  hashtextextended('golive hash check ÅÄ 漢字 ＡＢＣ', 7),
  hash_numeric_extended(1234.5600, 7),
  ${instantHash(traits, `timestamptz '2024-02-29 12:34:56.789+08'`, 7)},
  hashint8extended(42, 7),
  hashint4extended(42, 7),
  -- fixed-offset timestamps hash the naive UTC value (see FixedOffset)
  timestamp_hash_extended('2024-02-29 04:34:56.789', 7) = ${instantHash(traits, `timestamptz '2024-02-29 04:34:56.789+00'`, 7)}) AS h`;
}

/**
 * The open connections of one comparison, by server: cancelling the comparison cancels their
 * backends' queries (pg_cancel_backend, from a connection of its own), so that a stopped run
 * stops its servers' work within moments instead of at the query's end.
 */
export class Backends {
  private readonly byUrl = new Map<string, Set<Client>>();

  add(url: string, c: Client): void {
    let set = this.byUrl.get(url);
    if (!set) this.byUrl.set(url, (set = new Set()));
    set.add(c);
    // an ended connection's process id may be another session's next
    c.once('end', () => set.delete(c));
  }

  async cancel(): Promise<void> {
    await Promise.all(
      [...this.byUrl].map(async ([url, clients]) => {
        const pids = [...clients]
          .map((c) => (c as Client & { processID?: number }).processID)
          .filter((p): p is number => typeof p === 'number');
        if (pids.length === 0) return;
        const c = new Client({ connectionString: url });
        c.on('error', () => undefined);
        try {
          await c.connect();
          await c.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS p(pid)', [pids]);
        } catch {
          // the server is away: its queries are gone with it
        } finally {
          await c.end().catch(() => undefined);
        }
      }),
    );
  }
}

export interface SideState {
  side: Side;
  types: ColumnTypes;
  url: string;
  query: string;
  main: Client; // snapshot exporter, used for probes and re-fetch
  snapshot: string;
  sql: SideSql;
  others: Client[];
  backends?: Backends;
}

/** `stream`: a connection for a COPY stream (reads into one reused buffer, see socket.ts). */
export async function connect(url: string, stream = false, backends?: Backends): Promise<Client> {
  const c = new Client({ connectionString: url, ...(stream ? { stream: comparisonStream } : {}) });
  c.on('error', () => undefined);
  await c.connect();
  backends?.add(url, c);
  await c.query(`SET TimeZone = 'UTC'; SET work_mem = '64MB'; SET application_name = 'golive-compare'`);
  return c;
}

export async function openSide(
  spec: DomainSpec,
  side: Side,
  opened: OpenedSource,
  window: { from: string; to: string },
  backends?: Backends,
): Promise<Omit<SideState, 'sql'> & { types: ColumnTypes; traits: ServerTraits }> {
  const main = await connect(opened.url, false, backends);
  await main.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const snap = await main.query<{ s: string }>('SELECT pg_export_snapshot() AS s');
  const query = bindWindow(opened.query, window.from, window.to);
  const probe = await main.query(`SELECT * FROM (${query}) q LIMIT 0`);
  const types: ColumnTypes = new Map();
  for (const f of probe.fields as FieldDef[]) types.set(f.name, { typeOid: f.dataTypeID, typmod: f.dataTypeModifier });
  const enc = await main.query<{ e: string; tz: boolean }>(
    `SELECT current_setting('server_encoding') AS e, to_regprocedure('timestamptz_hash_extended(timestamptz, int8)') IS NOT NULL AS tz`,
  );
  const folded = caseFoldedColumns(spec, side).filter((c) => types.has(c));
  const asciiCase = new Set<string>();
  if (folded.length > 0) {
    // in a savepoint: a server without regcollation (before PostgreSQL 13) keeps the slow path
    await main.query('SAVEPOINT ascii_case');
    try {
      const r = await main.query<boolean[]>({ text: asciiCaseSql(query, folded), values: [ASCII_PROBE], rowMode: 'array' });
      folded.forEach((c, i) => {
        if (one(r.rows)[i] === true) asciiCase.add(c);
      });
      await main.query('RELEASE SAVEPOINT ascii_case');
    } catch {
      await main.query('ROLLBACK TO SAVEPOINT ascii_case');
    }
  }
  const traits: ServerTraits = { utf8: one(enc.rows).e === 'UTF8', asciiCase, timestamptzHash: one(enc.rows).tz };
  return { side, url: opened.url, query, main, snapshot: one(snap.rows).s, others: [], types, traits, backends };
}

export async function joinSnapshot(s: SideState, stream = true): Promise<Client> {
  const c = await connect(s.url, stream, s.backends);
  // One process per stream: a parallel plan (Gather Merge over workers) used no less CPU in total
  // (measured) and puts more processes than cores on the machine; `parallelism` spreads a run.
  await c.query('SET max_parallel_workers_per_gather = 0');
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await c.query(`SET TRANSACTION SNAPSHOT ${escapeLiteral(s.snapshot)}`);
  s.others.push(c);
  return c;
}

export function buildSideSql(
  spec: DomainSpec,
  side: Side,
  types: ColumnTypes,
  query: string,
  maps: CodeMapSql,
  offsets: FixedOffsets,
  traits: ServerTraits,
  nodeMapped: ReadonlySet<string>,
): SideSql {
  const plans = comparedFields(spec).map((f) => fieldPlan(spec, f, side, types, maps, offsets, traits, nodeMapped));
  return { keys: keyExprs(spec, side, types, traits), plans, from: `(${query}) q` };
}

const FIXED_OFFSET_MAX_WINDOW_MS = 62 * 86_400_000;

/** Zones of timestamp fields whose offset is fixed around the window, as this side's server sees them. */
export async function fixedOffsets(c: Client, spec: DomainSpec, window: { from: string; to: string }): Promise<FixedOffsets> {
  const out: FixedOffsets = new Map();
  // The check walks the window minute by minute: cheap for a night or a downtime window, but a
  // migration verification's window spans years (from 1970: 29 million steps), and over years
  // every zone with summer time has changed offset anyway. Long windows take AT TIME ZONE.
  if (Date.parse(window.to) - Date.parse(window.from) > FIXED_OFFSET_MAX_WINDOW_MS) return out;
  const zones = new Set(
    comparedFields(spec)
      .filter((f) => f.type === 'timestamp')
      .map((f) => f.timeZone ?? 'UTC'),
  );
  for (const zone of zones) {
    const r = await c.query<{ fixed: boolean; off: number; lo: string; hi: string }>(fixedOffsetSql(zone, window.from, window.to));
    const z = one(r.rows);
    if (z.fixed) out.set(zone, { lo: z.lo, hi: z.hi, offsetSeconds: z.off });
  }
  return out;
}

export function sideColumns(spec: DomainSpec, side: Side): string[] {
  const pick = (f: { name: string; legacyColumn?: string; newColumn?: string }): string =>
    (side === 'legacy' ? f.legacyColumn : f.newColumn) ?? f.name;
  return [
    ...spec.key.map(pick),
    ...spec.fields.map(pick),
    ...(spec.inFlight ? [pick({ ...spec.inFlight, name: spec.inFlight.column })] : []),
  ];
}
