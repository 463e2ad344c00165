/**
 * Events that are counted rather than written row by row: failed authentications per source
 * address and minute, idempotent replays per key and minute, sign-ins per token and minute. The
 * counts live in PostgreSQL, so every API instance sees the same ones (the rate limits are shared);
 * a closed minute's count goes into the audit trail as one entry (flushTallies).
 */
import type { Pool } from 'pg';
import { appendAudit } from './audit';

export type TallyKind = 'auth_failure' | 'idempotent_replay' | 'sign_in';

/** Who and what, for the one audit entry a minute's count becomes. Opaque ids only. */
export interface TallyDetails {
  actor: string;
  roles?: string[];
  action: string;
  target: Record<string, string>;
}

/** Counts one event; returns this minute's count so far and the seconds until the minute ends. */
export async function countEvent(
  pool: Pool,
  kind: TallyKind,
  subject: string,
  details?: TallyDetails,
): Promise<{ count: number; secondsLeft: number }> {
  const res = await pool.query<{ count: string; seconds_left: number }>(
    `INSERT INTO request_tally (kind, subject, minute, count, details) VALUES ($1, $2, date_trunc('minute', now()), 1, $3)
     ON CONFLICT (kind, subject, minute) DO UPDATE SET count = request_tally.count + 1, last_at = now()
     RETURNING count, ceil(extract(epoch FROM request_tally.minute + interval '1 minute' - now()))::int AS seconds_left`,
    [kind, subject, details ?? null],
  );
  return { count: Number(res.rows[0]!.count), secondsLeft: Math.max(1, res.rows[0]!.seconds_left) };
}

const auditedKinds: Record<Exclude<TallyKind, 'sign_in'>, { action: string; result: string }> = {
  auth_failure: { action: 'auth.failed', result: '401' },
  idempotent_replay: { action: 'idempotent.replayed', result: 'replayed' },
};

/**
 * Writes every closed minute's counts into the audit trail, one entry per subject and minute
 * (the event key makes a second flusher's append a no-op), then forgets old counts.
 */
export async function flushTallies(pool: Pool): Promise<number> {
  const rows = await pool.query<{
    kind: 'auth_failure' | 'idempotent_replay';
    subject: string;
    minute: Date;
    count: string;
    first_at: Date;
    last_at: Date;
    details: TallyDetails | null;
  }>(
    `SELECT kind, subject, minute, count, first_at, last_at, details FROM request_tally
      WHERE flushed_at IS NULL AND kind <> 'sign_in' AND minute < date_trunc('minute', now()) ORDER BY minute LIMIT 1000`,
  );
  for (const r of rows.rows) {
    const minute = r.minute.toISOString();
    const { action, result } = auditedKinds[r.kind];
    await appendAudit(pool, {
      eventKey: `tally:${r.kind}:${r.subject}:${minute}`,
      actor: r.details?.actor ?? 'anonymous',
      roles: r.details?.roles ?? [],
      action: r.details?.action ?? action,
      target: r.details?.target ?? {},
      result,
      details: { counted: r.kind, count: Number(r.count), minute, firstAt: r.first_at.toISOString(), lastAt: r.last_at.toISOString() },
    });
    await pool.query('UPDATE request_tally SET flushed_at = now() WHERE kind = $1 AND subject = $2 AND minute = $3', [
      r.kind,
      r.subject,
      r.minute,
    ]);
  }
  await pool.query(`DELETE FROM request_tally WHERE minute < now() - interval '1 hour' AND (flushed_at IS NOT NULL OR kind = 'sign_in')`);
  return rows.rows.length;
}
