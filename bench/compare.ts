/**
 * Benchmark of the comparison engine (prints figures; not a test).
 *
 *   npx tsx bench/compare.ts                 # 1M and 5M rows per side
 *   BENCH_ROWS=1000000 npx tsx bench/compare.ts
 *   BENCH_KEEP=1 ...  keep the cluster and tables in $TMPDIR/golive-bench-pg (generation takes ~40 s per 5M case)
 *   BENCH_REPEAT=3 BENCH_PARALLELISM=1 ...  runs per case, streams per side
 *   BENCH_PGDATA=dir ...  with DATABASE_URL: the cluster's data directory, to report its CPU time
 *   BENCH_SEMI_SPACE_MB=2 ...  V8 semi-space size the bench re-runs itself with (0: Node's default)
 *   BENCH_GC=0 ...  do not collect the heap before each run (the peak then includes earlier runs' garbage)
 *   BENCH_SPELLINGS=50000,2000 ...  the spelling probe's sample rows and distinct-value limit (…,0: off)
 *   BENCH_NAMES_IN_SQL=1 ...  patient names normalised in SQL (`learnSpellings: false`), as for real names
 *   BENCH_PROFILE=reference ...  the workload of ../shared/docs/comparison-performance.md: only the code maps
 *                    and the numeric scale reconcile the two sides (no trim, case, NFKC, empty-as-NULL or
 *                    zone conversion needed or declared); default `full`: every normalisation, on data that needs it
 *   BENCH_MEM=1 ...  where the memory is at the peak (V8 heap, external, array buffers); BENCH_MEM=2 also a
 *                    sample every BENCH_MEM_MS (250) ms
 *
 * Uses DATABASE_URL / TEST_DATABASE_URL when set (creates and drops its own databases there),
 * otherwise an embedded PostgreSQL. Data generation time is not counted.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { compareDomain, type CompareResult, type DomainSpecInput } from '../compare';
import { freePort, startEmbeddedPostgres } from '../tools/services';

const DEPTS = 40;
const ITEMS = 3000;
const KINDS = 6000; // one injected difference of each kind per 6000 rows => 0.1% in total
const REFERENCE = process.env.BENCH_PROFILE === 'reference';

/** DATABASE_URL / TEST_DATABASE_URL when set; else an embedded cluster (kept on disk with BENCH_KEEP). */
async function server(keep: boolean): Promise<{ base: URL; dataDir?: string; stop(): Promise<void> }> {
  const env = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (env) return { base: new URL(env), dataDir: process.env.BENCH_PGDATA, stop: () => Promise.resolve() };
  const dir = keep ? path.join(os.tmpdir(), 'golive-bench-pg') : mkdtempSync(path.join(os.tmpdir(), 'golive-bench-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port: await freePort(), persistent: keep });
  return {
    base: new URL(pg.adminUrl),
    dataDir: path.join(dir, 'data'),
    stop: async () => {
      await pg.stop();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU seconds used so far by the cluster whose data directory is `dataDir`: the postmaster, its
 * exited (reaped) backends and its live ones, from /proc. Counting the live ones too makes the
 * figure independent of when the postmaster reaps a run's backends. Wall time on a shared
 * machine depends on the neighbours; CPU does not.
 */
function clusterCpu(dataDir: string | undefined): number | null {
  if (!dataDir) return null;
  // fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the name; ppid is 1
  const stat = (pid: string): number[] => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s
      .slice(s.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  };
  try {
    const pid = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '';
    const f = stat(pid);
    let ticks = (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    for (const child of readdirSync('/proc')) {
      if (!/^\d+$/.test(child)) continue;
      try {
        const c = stat(child);
        if (String(c[1]) === pid) ticks += (c[11] ?? 0) + (c[12] ?? 0) + (c[13] ?? 0) + (c[14] ?? 0);
      } catch {
        /* exited meanwhile */
      }
    }
    return ticks / 100;
  } catch {
    return null;
  }
}

async function exec(url: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function dbUrl(base: URL, name: string): string {
  const u = new URL(base.toString());
  u.pathname = `/${name}`;
  return u.toString();
}

/** One side's table. side 'legacy': local naive timestamps, legacy codes; 'new': timestamptz, new codes. */
function genSql(table: string, side: 'legacy' | 'new', n: number, inject: boolean): string {
  const i = 'g.i';
  const m = `(${i} % ${KINDS})`;
  const legacy = side === 'legacy';
  const skip = inject ? (legacy ? `WHERE ${m} <> 2` : `WHERE ${m} <> 1`) : '';
  const dupKind = legacy ? 4 : 5;
  const amount = `(((${i} % 7) + 1) * ((${i} % 997) * 1.2345))::numeric(12,2)`;
  const amountExpr =
    !legacy && inject ? `CASE WHEN ${m} = 3 THEN ${amount} + 1 WHEN ${m} = 7 THEN ${amount} + 0.01 ELSE ${amount} END` : amount;
  // Legacy spellings that only the normalisations reconcile: lower-case codes (case), a leading
  // space (trim), full-width letters and digits and a trailing ideographic space (NFKC + trim),
  // NULL where the new system stores '' (empty-as-null).
  const itemCode = REFERENCE ? `'I' || (${i} % ${ITEMS})` : `(CASE WHEN ${i} % 17 = 0 THEN 'i' ELSE 'I' END) || (${i} % ${ITEMS})`;
  const item = legacy
    ? inject
      ? `CASE WHEN ${m} = 6 THEN 'IX' || ${i} ELSE ${itemCode} END`
      : itemCode
    : `'ITEM-' || lpad((${i} % ${ITEMS})::text, 5, '0')`;
  const dept = legacy
    ? REFERENCE
      ? `'D' || (${i} % ${DEPTS})`
      : `(CASE WHEN ${i} % 19 = 0 THEN ' d' ELSE 'D' END) || (${i} % ${DEPTS})`
    : `'DEP-' || (${i} % ${DEPTS})`;
  const name = `(ARRAY['王','李','张','刘','陈','杨','赵','黄'])[1 + ${i} % 8] || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋'])[1 + (${i} / 8) % 10] || (ARRAY['','华','明','红'])[1 + (${i} / 80) % 4]`;
  const nameExpr = REFERENCE
    ? name
    : legacy
      ? `CASE WHEN ${i} % 23 = 0 THEN NULL ELSE ${name} || (CASE WHEN ${i} % 3 = 0 THEN U&'\\3000' ELSE ' ' END) END`
      : `CASE WHEN ${i} % 23 = 0 THEN '' ELSE ${name} END`;
  const status = `(ARRAY['NEW','BILLED','PAID','VOID'])[1 + ${i} % 4]`;
  const statusExpr = legacy && !REFERENCE ? `CASE WHEN ${i} % 5 = 0 THEN lower(${status}) ELSE ${status} END` : status;
  const operator =
    legacy && !REFERENCE
      ? `CASE WHEN ${i} % 11 = 0 THEN 'ＯＰ' || translate((${i} % 500)::text, '0123456789', '０１２３４５６７８９') WHEN ${i} % 13 = 0 THEN 'op' || (${i} % 500) ELSE 'OP' || (${i} % 500) END`
      : `'OP' || (${i} % 500)`;
  const ts = `timestamptz '2024-03-01 00:00:00+08' + ((${i} % 86400) * interval '1 second')`;
  const tsExpr = REFERENCE ? ts : legacy ? `(${ts}) AT TIME ZONE 'Asia/Shanghai'` : `${ts} + ((${i} % 1000) * interval '1 microsecond')`;
  const select = (from: string): string => `SELECT 'CH' || lpad(${i}::text, 10, '0'),
    'P' || lpad((${i} % 200000)::text, 8, '0'),
    ${nameExpr},
    ${dept}, ${item},
    ((${i} % 7) + 1)::numeric(10,2), ((${i} % 997) * 1.2345)::numeric(12,4), ${amountExpr},
    ${tsExpr},
    ${statusExpr}, ${operator}
    FROM ${from}`;
  const series = `generate_series(1, ${n}) AS g(i)`;
  return `
    DROP TABLE IF EXISTS ${table};
    CREATE TABLE ${table} (
      charge_id text NOT NULL, patient_id text, patient_name text, dept_code text, item_code text,
      quantity numeric(10,2), unit_price numeric(12,4), amount numeric(12,2),
      charged_at ${REFERENCE ? 'timestamptz(0)' : legacy ? 'timestamp(0)' : 'timestamptz(6)'}, status text, operator_id text);
    INSERT INTO ${table} ${select(`${series} ${skip}`)}
    ${inject ? `UNION ALL ${select(`${series} WHERE ${m} = ${dupKind}`)}` : ''};
    CREATE INDEX ON ${table} (charge_id COLLATE "C");
    ANALYZE ${table};`;
}

function spec(): DomainSpecInput {
  return REFERENCE ? referenceSpec() : fullSpec();
}

function fullSpec(): DomainSpecInput {
  const depts: Record<string, string> = {};
  for (let d = 0; d < DEPTS; d++) depts[`D${d}`] = `DEP-${d}`;
  const items: Record<string, string> = {};
  for (let k = 0; k < ITEMS; k++) items[`I${k}`] = `ITEM-${String(k).padStart(5, '0')}`;
  return {
    name: 'charges',
    key: [{ name: 'charge_id' }],
    fields: [
      { name: 'patient_id', type: 'text' },
      // BENCH_NAMES_IN_SQL=1: names on the server path, as the probe would decide for a real
      // hospital's names (the bench has only 320 distinct names, so its probe learns them)
      {
        name: 'patient_name',
        type: 'text',
        normalize: { nfkc: true },
        ...(process.env.BENCH_NAMES_IN_SQL ? { learnSpellings: false } : {}),
      },
      { name: 'dept_code', type: 'text', codeMap: 'dept', normalize: { case: 'upper' } },
      { name: 'item_code', type: 'text', codeMap: 'item', normalize: { case: 'upper' } },
      { name: 'quantity', type: 'numeric', scale: 2 },
      { name: 'unit_price', type: 'numeric', scale: 4 },
      { name: 'amount', type: 'numeric', scale: 2, tolerance: '0.01' },
      { name: 'charged_at', type: 'timestamp', timestampPrecision: 'second', timeZone: 'Asia/Shanghai' },
      { name: 'status', type: 'text', normalize: { case: 'upper' } },
      { name: 'operator_id', type: 'text', normalize: { nfkc: true, case: 'upper' } },
    ],
    codeMaps: { dept: { kind: 'inline', entries: depts }, item: { kind: 'inline', entries: items } },
    // Every text field trimmed, '' as NULL; NFKC where the legacy system stores full-width forms
    // (names padded with ideographic spaces, operator ids); codes case-folded.
    defaults: { normalize: { trim: true, emptyAsNull: true } },
  };
}

/** BENCH_PROFILE=reference: the code maps and the numeric scale are all that reconcile the sides. */
function referenceSpec(): DomainSpecInput {
  const full = fullSpec();
  return {
    ...full,
    fields: [
      { name: 'patient_id', type: 'text' },
      { name: 'patient_name', type: 'text' },
      { name: 'dept_code', type: 'text', codeMap: 'dept' },
      { name: 'item_code', type: 'text', codeMap: 'item' },
      { name: 'quantity', type: 'numeric', scale: 2 },
      { name: 'unit_price', type: 'numeric', scale: 4 },
      { name: 'amount', type: 'numeric', scale: 2, tolerance: '0.01' },
      { name: 'charged_at', type: 'timestamp' },
      { name: 'status', type: 'text' },
      { name: 'operator_id', type: 'text' },
    ],
    defaults: {},
  };
}

function truth(n: number, inject: boolean): Partial<CompareResult> {
  const cnt = (r: number): number => (inject ? Math.floor((n - r) / KINDS) + 1 : 0);
  const [k1, k2, k3, k4, k5, k6] = [cnt(1), cnt(2), cnt(3), cnt(4), cnt(5), cnt(6)];
  const differing = k1 + k2 + k3 + k4 + k5 + k6;
  return {
    rowsLegacy: n - k2 + k4,
    rowsNew: n - k1 + k5,
    distinctKeys: n,
    matched: n - differing,
    missingInNew: k1,
    missingInLegacy: k2,
    mismatched: k3 + k6,
    duplicateKeysLegacy: k4,
    duplicateKeysNew: k5,
    unmappedCodes: k6,
    differingKeys: differing,
  };
}

async function main(): Promise<void> {
  const sizes = process.env.BENCH_ROWS ? [Number(process.env.BENCH_ROWS)] : [1_000_000, 5_000_000];
  const keep = !!process.env.BENCH_KEEP; // reuse the cluster, databases and tables between invocations (development)
  const srv = await server(keep);
  const tag = keep ? 'keep' : randomBytes(3).toString('hex');
  const names = { legacy: `bench_legacy_${tag}`, next: `bench_new_${tag}`, results: `bench_results_${tag}` };
  for (const n of Object.values(names)) {
    await exec(srv.base.toString(), `CREATE DATABASE ${n}`).catch((e: unknown) => {
      if (!keep) throw e;
    });
  }
  const legacyUrl = dbUrl(srv.base, names.legacy);
  const newUrl = dbUrl(srv.base, names.next);
  const resultsUrl = dbUrl(srv.base, names.results);
  for (const file of ['1700000000100_comparison.sql', '1700000001100_comparison_outcomes.sql']) {
    const mig = readFileSync(path.join(__dirname, '..', 'migrations', file), 'utf8');
    await exec(resultsUrl, mig.split('-- Down Migration')[0] ?? mig).catch((e: unknown) => {
      if (!keep) throw e;
    });
  }
  let failures = 0;
  try {
    for (const n of sizes) {
      for (const inject of [true, false]) {
        const t = `charges_${REFERENCE ? 'ref_' : ''}${n}_${inject ? 'diff' : 'same'}`;
        process.stdout.write(`generating ${t} ... `);
        const g = Date.now();
        const exists = async (url: string): Promise<boolean> => {
          const c = new Client({ connectionString: url });
          await c.connect();
          try {
            return (await c.query('SELECT to_regclass($1) AS r', [t])).rows[0].r !== null;
          } finally {
            await c.end();
          }
        };
        if (!keep || !(await exists(legacyUrl)) || !(await exists(newUrl))) {
          await Promise.all([exec(legacyUrl, genSql(t, 'legacy', n, inject)), exec(newUrl, genSql(t, 'new', n, inject))]);
          await Promise.all([exec(legacyUrl, `VACUUM ANALYZE ${t}`), exec(newUrl, `VACUUM ANALYZE ${t}`)]);
        }
        console.log(`${((Date.now() - g) / 1000).toFixed(1)} s`);
        for (let rep = 0; rep < Number(process.env.BENCH_REPEAT ?? 3); rep++) {
          // Each run's peak from a collected heap: otherwise the garbage of the runs before it
          // (~10 MB each, collected only when V8 decides) is counted too, up to ~160 MB after ten
          // runs in one process. BENCH_GC=0 measures without this.
          if (process.env.BENCH_GC !== '0') (globalThis as { gc?: () => void }).gc?.();
          let peak = process.memoryUsage.rss();
          let atPeak = process.memoryUsage();
          const rss0 = peak;
          const series: [number, NodeJS.MemoryUsage][] = [];
          const timer = setInterval(() => {
            const m = process.memoryUsage();
            if (
              process.env.BENCH_MEM === '2' &&
              (series.length === 0 || Date.now() - series[series.length - 1]![0] >= Number(process.env.BENCH_MEM_MS ?? 250))
            )
              series.push([Date.now(), m]);
            if (m.rss > peak) {
              peak = m.rss;
              atPeak = m;
            }
          }, 20);
          const w = Date.now();
          const cpu0 = { pg: clusterCpu(srv.dataDir), node: process.cpuUsage() };
          let r: CompareResult;
          try {
            r = await compareDomain({
              spec: spec(),
              legacy: {
                kind: 'postgres',
                url: legacyUrl,
                query: REFERENCE
                  ? `SELECT * FROM ${t} WHERE charged_at >= $1 AND charged_at < $2`
                  : `SELECT * FROM ${t} WHERE charged_at >= ($1 AT TIME ZONE 'Asia/Shanghai') AND charged_at < ($2 AT TIME ZONE 'Asia/Shanghai')`,
              },
              new: { kind: 'postgres', url: newUrl, query: `SELECT * FROM ${t} WHERE charged_at >= $1 AND charged_at < $2` },
              window: { from: '2024-03-01T00:00:00+08:00', to: '2024-03-02T00:00:00+08:00' },
              businessDay: '2024-03-01',
              resultsUrl,
              thresholds: { warning: { rate: 0 }, critical: { rate: 0.01 } },
              parallelism: Number(process.env.BENCH_PARALLELISM ?? 1),
              // BENCH_SPELLINGS=sampleRows,maxDistinct (maxDistinct 0: every text field normalised in SQL)
              ...(process.env.BENCH_SPELLINGS
                ? {
                    spellings: {
                      sampleRows: Number(process.env.BENCH_SPELLINGS.split(',')[0]),
                      maxDistinct: Number(process.env.BENCH_SPELLINGS.split(',')[1]),
                    },
                  }
                : {}),
            });
          } finally {
            clearInterval(timer); // or a failed run keeps the process alive
          }
          const wall = (Date.now() - w) / 1000;
          const pgCpu = cpu0.pg === null ? null : (clusterCpu(srv.dataDir) ?? 0) - cpu0.pg;
          const nodeCpu = process.cpuUsage(cpu0.node);
          const cpu = `CPU ${pgCpu === null ? 'pg ?' : `pg ${pgCpu.toFixed(1)} s`} + node ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(1)} s`;
          clearInterval(timer);
          peak = Math.max(peak, process.memoryUsage.rss());
          const want = truth(n, inject);
          const bad = Object.entries(want).filter(([k, v]) => (r as unknown as Record<string, unknown>)[k] !== v);
          const fieldOk =
            r.fieldMismatches.amount === (inject ? want.mismatched! - want.unmappedCodes! : 0) &&
            Object.entries(r.fieldMismatches).every(([f, v]) => f === 'amount' || v === 0);
          if (!fieldOk) bad.push(['fieldMismatches', JSON.stringify(r.fieldMismatches)]);
          if (bad.length) failures++;
          if (process.env.BENCH_MEM) {
            const mb = (x: number): string => `${(x / 2 ** 20).toFixed(0)}`;
            const t0 = series[0]?.[0] ?? 0;
            for (const [t, m] of series)
              console.log(
                `    +${((t - t0) / 1000).toFixed(2)} s rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} ext ${mb(m.external)} ab ${mb(m.arrayBuffers)}`,
              );
            console.log(
              `  memory: RSS before ${mb(rss0)} MB; at peak heap ${mb(atPeak.heapUsed)}/${mb(atPeak.heapTotal)} MB, external ${mb(atPeak.external)} MB (array buffers ${mb(atPeak.arrayBuffers)} MB)`,
            );
          }
          console.log(
            `${n.toLocaleString('en')} rows/side ${inject ? '0.1% differences' : 'no differences  '} run ${rep + 1}: ` +
              `wall ${wall.toFixed(2)} s, ${(r.rowsLegacy / wall / 1e6).toFixed(2)}M rows/s per side, ` +
              `${cpu}, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB (process max ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB), ` +
              `differences ${r.differences}, status ${r.status}, ` +
              (bad.length
                ? `MISMATCH vs truth: ${bad.map(([k, v]) => `${k}=${String((r as unknown as Record<string, unknown>)[k])} want ${String(v)}`).join('; ')}`
                : 'exact (= injected truth)'),
          );
        }
        if (!keep) await Promise.all([exec(legacyUrl, `DROP TABLE ${t}`), exec(newUrl, `DROP TABLE ${t}`)]);
      }
    }
  } finally {
    if (!keep) {
      for (const n of Object.values(names))
        await exec(srv.base.toString(), `DROP DATABASE IF EXISTS ${n} WITH (FORCE)`).catch(() => undefined);
    }
    await srv.stop();
  }
  if (failures) {
    console.log(`${failures} run(s) did not match the injected truth`);
    process.exitCode = 1;
  }
}

/**
 * The bench re-runs itself with `--expose-gc` (each run measured from a collected heap, see
 * BENCH_GC) and 2 MB semi-spaces: Node's default young generation (16 MB) adds ~10-20 MB to the
 * peak (137-147 MB against 118-140 MB at 5M rows, docs/comparison.md). BENCH_SEMI_SPACE_MB=0:
 * Node's default.
 */
function relaunchWithSmallYoungGeneration(): boolean {
  const mb = Number(process.env.BENCH_SEMI_SPACE_MB ?? 2);
  const flag = '--max-semi-space-size';
  if (process.env.BENCH_RELAUNCHED || process.execArgv.some((a) => a.startsWith(flag)) || (process.env.NODE_OPTIONS ?? '').includes(flag))
    return false;
  const flags = [...(mb > 0 ? [`${flag}=${mb}`] : []), ...(process.execArgv.includes('--expose-gc') ? [] : ['--expose-gc'])];
  const r = spawnSync(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_RELAUNCHED: '1' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

if (!relaunchWithSmallYoungGeneration()) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : 'bench failed');
    process.exitCode = 1;
  });
}
