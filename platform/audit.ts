/**
 * The audit chain: who did what to which target, when, why, and with what result. Rows are
 * appended under a lock on the chain head, each hashing its predecessor's hash with its own
 * fields, so `verifyAuditChain` finds an edited, inserted or deleted row by recomputing.
 * The API (every state-changing request) and the workers (every workflow transition) share it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuditBreak, AuditEntry, AuditVerification } from '../domain/audit';

export const genesisHash = '0'.repeat(64);

export interface AuditEntryInput {
  /** Makes the append idempotent: a second append with the same key returns the first row. */
  eventKey?: string | null;
  /** A person id, or a named system actor (a workflow, the admin command line). */
  actor: string;
  roles?: readonly string[];
  /** A route ('POST /v1/programs/{programId}/gates') or a workflow event name. */
  action: string;
  /** Opaque ids only: path parameters, or a workflow id. */
  target?: Record<string, string>;
  reason?: string | null;
  requestId?: string | null;
  /** An HTTP status or an outcome word. */
  result: string;
  /** Codes and counts only; never patient data. */
  details?: Record<string, unknown> | null;
}

export type { AuditBreak, AuditEntry, AuditProblem, AuditVerification } from '../domain/audit';

/** JSON with object keys sorted at every depth: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The fields a row's hash covers: every column but the two hashes. */
export function entryHash(prevHash: string, e: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const fields = {
    seq: e.seq,
    eventKey: e.eventKey,
    at: e.at,
    actor: e.actor,
    roles: e.roles,
    action: e.action,
    target: e.target,
    reason: e.reason,
    requestId: e.requestId,
    result: e.result,
    details: e.details,
  };
  return createHash('sha256').update(prevHash).update(canonicalJson(fields)).digest('hex');
}

interface AuditRow {
  seq: string;
  event_key: string | null;
  at: Date;
  actor: string;
  roles: string[];
  action: string;
  target: Record<string, string>;
  reason: string | null;
  request_id: string | null;
  result: string;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  seq: Number(r.seq),
  eventKey: r.event_key,
  at: r.at.toISOString(),
  actor: r.actor,
  roles: r.roles,
  action: r.action,
  target: r.target,
  reason: r.reason,
  requestId: r.request_id,
  result: r.result,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

// A lone UTF-16 surrogate is written to PostgreSQL as U+FFFD, so what was hashed would not be what
// is stored; PostgreSQL text cannot hold NUL at all. Both are replaced before hashing.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const storableText = (text: string) => text.replace(loneSurrogate, '\uFFFD').replace(/\0/g, '');
/** Whether text is stored exactly as given: no lone surrogate, no NUL. */
export const isStorableText = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/.test(text);

/** The same value with every string (keys too) made storable, as PostgreSQL will give it back. */
function storable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => storable(v)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)])) as T;
  return value;
}

/**
 * Appends one entry, linear with every other appender: the chain head's row lock orders them.
 * Returns the existing entry's sequence number when `eventKey` was already recorded.
 */
export async function appendAudit(pool: Pool, input: AuditEntryInput): Promise<{ seq: number; hash: string; duplicate: boolean }> {
  // What is hashed must be what PostgreSQL gives back: JSON round-trips drop undefined and such.
  const details = input.details == null ? null : storable(JSON.parse(JSON.stringify(input.details)) as Record<string, unknown>);
  input = {
    ...input,
    ...storable({
      actor: input.actor,
      roles: input.roles,
      action: input.action,
      target: input.target,
      reason: input.reason,
      requestId: input.requestId,
      result: input.result,
      eventKey: input.eventKey,
    }),
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Milliseconds: what a JavaScript Date (and so the verifier) reads back unchanged.
    const head = await client.query<{ seq: string; hash: string; now: Date }>(
      `SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS now FROM audit_chain_head FOR UPDATE`,
    );
    const { seq: headSeq, hash: prevHash, now } = head.rows[0]!;
    if (input.eventKey) {
      const seen = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log WHERE event_key = $1', [
        input.eventKey,
      ]);
      if (seen.rows[0]) {
        await client.query('COMMIT');
        return { seq: Number(seen.rows[0].seq), hash: seen.rows[0].hash, duplicate: true };
      }
    }
    const entry = {
      seq: Number(headSeq) + 1,
      eventKey: input.eventKey ?? null,
      at: now.toISOString(),
      actor: input.actor,
      roles: [...(input.roles ?? [])],
      action: input.action,
      target: input.target ?? {},
      reason: input.reason ?? null,
      requestId: input.requestId ?? null,
      result: input.result,
      details,
    };
    const hash = entryHash(prevHash, entry);
    await client.query(
      `INSERT INTO audit_log (seq, event_key, at, actor, roles, action, target, reason, request_id, result, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        entry.seq,
        entry.eventKey,
        entry.at,
        entry.actor,
        entry.roles,
        entry.action,
        entry.target,
        entry.reason,
        entry.requestId,
        entry.result,
        entry.details,
        prevHash,
        hash,
      ],
    );
    await client.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [entry.seq, hash]);
    await client.query('COMMIT');
    return { seq: entry.seq, hash, duplicate: false };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const maxBreaksListed = 1000;

/**
 * Recomputes the whole chain in sequence order, in pages, checks it ends at the head, and checks
 * every signed checkpoint against it. Reports every break, not only the first: after a changed
 * row the walk goes on from that row's stored hash, so a later edit is found too. Without the
 * key (`key` undefined) the checkpoints are not checked and `anchoredThrough` stays 0.
 */
export async function verifyAuditChain(pool: Pool, options: { key?: Buffer; pageSize?: number } | number = {}): Promise<AuditVerification> {
  const { key, pageSize = 5000 } = typeof options === 'number' ? { pageSize: options } : options;
  // The head first: entries appended while we read lie beyond it and are not judged this time.
  const head = await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_head');
  const headSeq = Number(head.rows[0]!.seq);
  const checkpoints = key
    ? (await pool.query<CheckpointRow>('SELECT * FROM audit_checkpoint WHERE seq <= $1 ORDER BY n', [headSeq])).rows
    : [];
  // The stored hash at each checkpointed sequence number, filled in by the walk.
  const hashAt = new Map<number, string>(checkpoints.map((c) => [Number(c.seq), '']));
  hashAt.set(0, genesisHash);

  const breaks: AuditBreak[] = [];
  let total = 0;
  const report = (b: AuditBreak) => {
    total += 1;
    if (breaks.length < maxBreaksListed) breaks.push(b);
  };
  let expected = 1;
  let prevHash = genesisHash;
  while (expected <= headSeq) {
    const page = await pool.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3', [
      expected,
      headSeq,
      pageSize,
    ]);
    if (!page.rows.length) break;
    for (const row of page.rows) {
      const e = toEntry(row);
      // A gap is one break per missing run: the first missing number names it.
      if (e.seq !== expected) report({ seq: expected, problem: 'missing' });
      else if (e.prevHash !== prevHash) report({ seq: e.seq, problem: 'prev_hash_mismatch' });
      if (entryHash(e.prevHash, e) !== e.hash) report({ seq: e.seq, problem: 'hash_mismatch' });
      if (hashAt.has(e.seq)) hashAt.set(e.seq, e.hash);
      prevHash = e.hash;
      expected = e.seq + 1;
    }
  }
  if (expected <= headSeq) report({ seq: expected, problem: 'missing' });
  else if (prevHash !== head.rows[0]!.hash) report({ seq: headSeq, problem: 'head_mismatch' });

  let anchoredThrough = 0;
  let prevMac = '';
  checkpoints.forEach((c, i) => {
    const n = Number(c.n);
    const seq = Number(c.seq);
    if (n !== i + 1 || c.prev_mac !== prevMac) report({ seq, problem: 'checkpoint_missing', checkpoint: n });
    if (!sameHex(c.mac, checkpointMac(key!, { n, seq, hash: c.hash, at: c.at.toISOString(), prevMac: c.prev_mac })))
      report({ seq, problem: 'checkpoint_forged', checkpoint: n });
    else if (hashAt.get(seq) !== c.hash) report({ seq, problem: 'checkpoint_mismatch', checkpoint: n });
    else anchoredThrough = Math.max(anchoredThrough, seq);
    prevMac = c.mac;
  });

  breaks.sort((a, b) => a.seq - b.seq);
  const first = breaks[0];
  const anchor = key ? { checkpoints: checkpoints.length, anchoredThrough, unanchored: headSeq - anchoredThrough } : {};
  if (!first) return { ok: true, count: headSeq, ...anchor };
  return { ok: false, count: first.seq - 1, brokenAt: first.seq, problem: first.problem, breaks, breaksTotal: total, ...anchor };
}

interface CheckpointRow {
  n: string;
  seq: string;
  hash: string;
  at: Date;
  key_id: string;
  prev_mac: string;
  mac: string;
}

/** Names a key without revealing it, so a checkpoint shows which key signed it. */
export const auditKeyId = (key: Buffer) => createHash('sha256').update('golive-audit-key-id').update(key).digest('hex').slice(0, 16);

function checkpointMac(key: Buffer, c: { n: number; seq: number; hash: string; at: string; prevMac: string }): string {
  return createHmac('sha256', key).update(canonicalJson(c)).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AuditCheckpoint {
  n: number;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  mac: string;
}

/**
 * Signs the chain head as it is now, with a key the database does not hold, and appends the
 * signature. A trail rewritten and re-chained up to the head afterwards no longer matches it.
 * Nothing new since the last checkpoint: nothing written (undefined).
 */
export async function writeCheckpoint(pool: Pool, key: Buffer): Promise<AuditCheckpoint | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One writer at a time across API instances; the runtime may not lock the table's rows (no UPDATE).
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('golive.audit_checkpoint'))`);
    const head = await client.query<{ seq: string; hash: string; now: Date }>(
      `SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS now FROM audit_chain_head`,
    );
    const last = await client.query<CheckpointRow>('SELECT * FROM audit_checkpoint ORDER BY n DESC LIMIT 1');
    const { seq: headSeq, hash, now } = head.rows[0]!;
    const prev = last.rows[0];
    if (prev && prev.seq === headSeq) {
      await client.query('COMMIT');
      return undefined;
    }
    const c = { n: prev ? Number(prev.n) + 1 : 1, seq: Number(headSeq), hash, at: now.toISOString(), prevMac: prev?.mac ?? '' };
    const mac = checkpointMac(key, c);
    const keyId = auditKeyId(key);
    await client.query('INSERT INTO audit_checkpoint (n, seq, hash, at, key_id, prev_mac, mac) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      c.n,
      c.seq,
      c.hash,
      c.at,
      keyId,
      c.prevMac,
      mac,
    ]);
    await client.query('COMMIT');
    return { n: c.n, seq: c.seq, hash: c.hash, at: c.at, keyId, mac };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface AuditQuery {
  /** Entries after this sequence number (the previous page's `nextAfter`). */
  after?: number;
  /** Newest first: entries before this sequence number (the previous page's `nextBefore`); 0 = from the newest. */
  before?: number;
  limit?: number;
  /** Entries whose target holds this id among its values. */
  target?: string;
  actor?: string;
}

export async function listAudit(
  pool: Pool,
  q: AuditQuery,
): Promise<{ entries: AuditEntry[]; nextAfter: number | null; nextBefore: number | null }> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
  const newestFirst = q.before !== undefined;
  const where = newestFirst ? (q.before! > 0 ? ['seq < $1'] : ['$1::bigint = 0']) : ['seq > $1'];
  const args: unknown[] = [newestFirst ? q.before : (q.after ?? 0)];
  if (q.target) where.push(`audit_target_values(target) @> ARRAY[$${args.push(q.target)}]`);
  if (q.actor) where.push(`actor = $${args.push(q.actor)}`);
  const rows = await pool.query<AuditRow>(
    `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${newestFirst ? 'DESC' : ''} LIMIT $${args.push(limit + 1)}`,
    args,
  );
  const entries = rows.rows.slice(0, limit).map(toEntry);
  const more = rows.rows.length > limit;
  const last = entries[entries.length - 1]?.seq ?? null;
  return newestFirst
    ? { entries, nextAfter: null, nextBefore: more ? last : null }
    : { entries, nextAfter: more ? last : null, nextBefore: null };
}
