/**
 * Check-off links: the activity that e-mails a ready runbook task issues a single-use token per
 * person and notice, and the API spends it when that person confirms on the page behind the
 * link. Only the token's sha256 is stored (as for acknowledge links, app/ack-tokens.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { checkedOffKinds } from '../domain/runbook';
import { hashAckToken as hashLinkToken } from './ack-tokens';

/** A task e-mail is read during the night or the morning after: a day covers a late task's second notice. */
const checkLinkLifetimeHours = 24;

export interface CheckLinkNotice {
  /** The e-mail's idempotency key: one token per person and notice. */
  noticeKey: string;
  programId: string;
  runId: string;
  taskId: string;
  personId: string;
  rehearsal: boolean;
}

/**
 * A fresh token for one person's notice. A retried send replaces it (only the e-mail that goes
 * out carries one), so callers skip notices already sent.
 */
export async function issueCheckToken(pool: Pool, notice: CheckLinkNotice): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await pool.query(
    `INSERT INTO runbook_check_tokens (token_hash, notice_key, program_id, run_id, task_id, person_id, rehearsal, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8))
     ON CONFLICT (notice_key) DO UPDATE SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at, used_at = NULL`,
    [
      hashLinkToken(token),
      notice.noticeKey,
      notice.programId,
      notice.runId,
      notice.taskId,
      notice.personId,
      notice.rehearsal,
      checkLinkLifetimeHours,
    ],
  );
  return token;
}

export interface CheckLink {
  programId: string;
  runId: string;
  taskId: string;
  personId: string;
  rehearsal: boolean;
  /** Neither used nor expired. */
  usable: boolean;
}

const columns = `program_id AS "programId", run_id AS "runId", task_id AS "taskId", person_id AS "personId", rehearsal`;

export async function findCheckLink(pool: Pool, token: string): Promise<CheckLink | undefined> {
  const { rows } = await pool.query<CheckLink>(
    `SELECT ${columns}, (used_at IS NULL AND expires_at > now()) AS usable FROM runbook_check_tokens WHERE token_hash = $1`,
    [hashLinkToken(token)],
  );
  return rows[0];
}

/**
 * Takes the link for one check-off: of two confirmations at once (a double click, two tabs) one
 * gets it. Undefined when it is used, expired or unknown.
 */
export async function claimCheckLink(pool: Pool, token: string): Promise<Omit<CheckLink, 'usable'> | undefined> {
  const { rows } = await pool.query<Omit<CheckLink, 'usable'>>(
    `UPDATE runbook_check_tokens SET used_at = now()
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING ${columns}`,
    [hashLinkToken(token)],
  );
  return rows[0];
}

/** Gives a claimed link back when its check-off did not happen (refused, or a dependency down): it may be tried again. */
export async function releaseCheckLink(pool: Pool, token: string): Promise<void> {
  await pool.query('UPDATE runbook_check_tokens SET used_at = NULL WHERE token_hash = $1', [hashLinkToken(token)]);
}

/** Whether the e-mail under this key went out already (its link is then the one already mailed). */
export async function noticeSent(pool: Pool, noticeKey: string): Promise<boolean> {
  const { rows } = await pool.query("SELECT 1 FROM email_outbox WHERE idempotency_key = $1 AND status = 'sent'", [noticeKey]);
  return rows.length > 0;
}

/** The runbook e-mails whose reader can check the task off from the link: a task still open that a person finishes. */
export function wantsCheckLink(message: { template: string; event?: string; taskKind?: string }): boolean {
  return (
    message.template === 'runbook-task' &&
    (message.event === 'ready' || message.event === 'late') &&
    checkedOffKinds.some((k) => k === message.taskKind)
  );
}
