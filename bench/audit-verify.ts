/**
 * Time of the audit verifier (the whole chain recomputed, and its signed checkpoints checked)
 * on a trail of AUDIT_BENCH_ROWS entries (default 100,000), shaped like the API's.
 *   npm run bench:audit
 * Uses TEST_DATABASE_URL (a superuser URL; creates and drops its own database) when set,
 * otherwise an embedded PostgreSQL. Writing the trail is not counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { entryHash, genesisHash, verifyAuditChain, writeCheckpoint } from '../platform/audit';
import { createPool, migrate } from '../platform/db';
import { ensureDatabase, freePort, startEmbeddedPostgres } from '../tools/services';

async function main() {
  const rows = Number(process.env.AUDIT_BENCH_ROWS ?? 100_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'golive-bench-audit-'));
  const pg = process.env.TEST_DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port: await freePort(), persistent: false });
  const admin = process.env.TEST_DATABASE_URL ?? pg!.adminUrl;
  const name = `bench_audit_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(admin, name);
  const url = admin.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  await migrate(url);
  const pool = createPool(url, 2);
  const key = randomBytes(32);
  try {
    // The chain computed here and inserted in batches: as appendAudit would, without its lock per row.
    let prev = genesisHash;
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let start = 1; start <= rows; start += 5000) {
      const batch: unknown[][] = [];
      for (let seq = start; seq < Math.min(start + 5000, rows + 1); seq++) {
        const e = {
          seq,
          eventKey: seq % 3 === 0 ? `program:p1:event:${seq}` : null,
          at: new Date(t0 + seq * 1000).toISOString(),
          actor: `p-lead-${seq % 7}`,
          roles: ['lead'],
          action: 'POST /v1/programs/{programId}/waves/{wave}/start',
          target: { programId: 'demo-program', wave: String(seq % 4) },
          reason: seq % 5 === 0 ? 'the pilot went well, the ward is ready' : null,
          requestId: randomBytes(16).toString('hex'),
          result: seq % 2 ? 'started' : '200',
          details: seq % 4 === 0 ? { criteriaMet: 7, departments: ['ICU', 'ER'] } : null,
        };
        const hash = entryHash(prev, e);
        batch.push([e.seq, e.eventKey, e.at, e.actor, e.roles, e.action, e.target, e.reason, e.requestId, e.result, e.details, prev, hash]);
        prev = hash;
      }
      const cols = [
        'seq',
        'event_key',
        'at',
        'actor',
        'roles',
        'action',
        'target',
        'reason',
        'request_id',
        'result',
        'details',
        'prev_hash',
        'hash',
      ];
      const values = batch.map((_, i) => `(${cols.map((_c, j) => `$${i * cols.length + j + 1}`).join(', ')})`).join(', ');
      await pool.query(`INSERT INTO audit_log (${cols.join(', ')}) VALUES ${values}`, batch.flat());
      if (start % 25_001 === 0 || start + 5000 > rows)
        await pool.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [Math.min(start + 4999, rows), prev]);
      if ((start - 1) % 20_000 === 0) await writeCheckpoint(pool, key);
    }
    await writeCheckpoint(pool, key);
    await pool.query('ANALYZE audit_log');
    for (let run = 1; run <= 3; run++) {
      const t = performance.now();
      const v = await verifyAuditChain(pool, { key });
      const ms = performance.now() - t;
      if (!v.ok) throw new Error(`bench trail does not verify: ${JSON.stringify(v).slice(0, 300)}`);
      process.stdout.write(
        `run ${run}: verified ${v.count} entries and ${v.checkpoints} checkpoints in ${(ms / 1000).toFixed(2)} s (${Math.round(v.count / (ms / 1000))} entries/s)\n`,
      );
    }
  } finally {
    await pool.end();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
