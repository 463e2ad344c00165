/**
 * The audit chain: who did what to which target, when, why, and with what result. Rows are
 * appended under a lock on the chain head, each hashing its predecessor's hash with its own
 * fields, so `verifyAuditChain` finds an edited, inserted or deleted row by recomputing.
 * The API (every state-changing request) and the workers (every workflow transition) share it.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

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

export interface AuditEntry {
  seq: number;
  eventKey: string | null;
  at: string;
  actor: string;
  roles: string[];
  action: string;
  target: Record<string, string>;
  reason: string | null;
  requestId: string | null;
  result: string;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries found intact, in order, before the first break (all of them when ok). */
  count: number;
  /** The first sequence number that is not intact. */
  brokenAt?: number;
  problem?: 'missing' | 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch';
}

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

/**
 * Appends one entry, linear with every other appender: the chain head's row lock orders them.
 * Returns the existing entry's sequence number when `eventKey` was already recorded.
 */
export async function appendAudit(pool: Pool, input: AuditEntryInput): Promise<{ seq: number; hash: string; duplicate: boolean }> {
  // What is hashed must be what PostgreSQL gives back: JSON round-trips drop undefined and such.
  const details = input.details == null ? null : (JSON.parse(JSON.stringify(input.details)) as Record<string, unknown>);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Milliseconds: what a JavaScript Date (and so the verifier) reads back unchanged.
    const head = await client.query<{ seq: string; hash: string; now: Date }>(
      `SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS now FROM audit_chain_head FOR UPDATE`,
    );
    const { seq: headSeq, hash: prevHash, now } = head.rows[0]!;
    if (input.eventKey) {
      const seen = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log WHERE event_key = $1', [input.eventKey]);
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
      [entry.seq, entry.eventKey, entry.at, entry.actor, entry.roles, entry.action, entry.target, entry.reason, entry.requestId, entry.result, entry.details, prevHash, hash],
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

/** Recomputes the whole chain in sequence order, in pages, and checks it ends at the head. */
export async function verifyAuditChain(pool: Pool, pageSize = 1000): Promise<AuditVerification> {
  // The head first: entries appended while we read lie beyond it and are not judged this time.
  const head = await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_head');
  const headSeq = Number(head.rows[0]!.seq);
  let expected = 1;
  let prevHash = genesisHash;
  while (expected <= headSeq) {
    const page = await pool.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3', [expected, headSeq, pageSize]);
    if (!page.rows.length) break;
    for (const row of page.rows) {
      const e = toEntry(row);
      const broken = (problem: AuditVerification['problem']): AuditVerification => ({ ok: false, count: expected - 1, brokenAt: expected, problem });
      if (e.seq !== expected) return broken('missing');
      if (e.prevHash !== prevHash) return broken('prev_hash_mismatch');
      if (entryHash(prevHash, e) !== e.hash) return broken('hash_mismatch');
      prevHash = e.hash;
      expected += 1;
    }
  }
  if (expected <= headSeq) return { ok: false, count: expected - 1, brokenAt: expected, problem: 'missing' };
  if (prevHash !== head.rows[0]!.hash) return { ok: false, count: headSeq - 1, brokenAt: headSeq, problem: 'head_mismatch' };
  return { ok: true, count: headSeq };
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

export async function listAudit(pool: Pool, q: AuditQuery): Promise<{ entries: AuditEntry[]; nextAfter: number | null; nextBefore: number | null }> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
  const newestFirst = q.before !== undefined;
  const where = newestFirst ? (q.before! > 0 ? ['seq < $1'] : ['$1::bigint = 0']) : ['seq > $1'];
  const args: unknown[] = [newestFirst ? q.before : (q.after ?? 0)];
  if (q.target) where.push(`audit_target_values(target) @> ARRAY[$${args.push(q.target)}]`);
  if (q.actor) where.push(`actor = $${args.push(q.actor)}`);
  const rows = await pool.query<AuditRow>(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${newestFirst ? 'DESC' : ''} LIMIT $${args.push(limit + 1)}`, args);
  const entries = rows.rows.slice(0, limit).map(toEntry);
  const more = rows.rows.length > limit;
  const last = entries[entries.length - 1]?.seq ?? null;
  return newestFirst ? { entries, nextAfter: null, nextBefore: more ? last : null } : { entries, nextAfter: more ? last : null, nextBefore: null };
}
