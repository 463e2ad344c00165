/**
 * Check-off by reply. Sending: a runbook task's e-mail gets a random single-use reference to its
 * notice (only its sha256 is stored, as for acknowledge tokens) in its Reply-To. Receiving: a
 * reply whose first line is `DONE <task>`, from the address on file of the person the notice went
 * to, checks the task off through the same Update the command center uses, channel `reply`. Every
 * other reply checks nothing off and is answered with a code (the listener turns it into an SMTP
 * refusal, which the sender's mail system reports to them); the log line carries codes only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool, PoolClient } from 'pg';
import { ErrorType } from '../domain/errors';
import { workflowIds } from '../domain/ids';
import type { Role } from '../domain/people';
import { parseDoneLine, refFromAddress, type ReplyOutcome } from '../domain/reply-checkoff';
import { checkOffUpdate } from '../domain/runbook-run';
import { startInboundSmtp, type InboundSmtp } from '../platform/inbound-smtp';
import type { Logger } from '../platform/logger';

const hashRef = (ref: string) => createHash('sha256').update(ref).digest('hex');

/** A night lasts at most three days (the window's limit); a reply later than that is too late. */
const replyRefLifetimeHours = 72;

export interface ReplyNotice {
  /** The e-mail's idempotency key: a resend of the same notice replaces its reference. */
  noticeKey: string;
  programId: string;
  runId: string;
  taskId: string;
  personId: string;
}

/** A fresh reference for one person's notice (16 random bytes, lower-case hex). */
export async function issueReplyRef(db: Pool | PoolClient, notice: ReplyNotice): Promise<string> {
  const ref = randomBytes(16).toString('hex');
  await db.query(
    `INSERT INTO runbook_reply_refs (ref_hash, notice_key, program_id, run_id, task_id, person_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
     ON CONFLICT (notice_key) DO UPDATE SET ref_hash = EXCLUDED.ref_hash, expires_at = EXCLUDED.expires_at, used_at = NULL, outcome = NULL`,
    [hashRef(ref), notice.noticeKey, notice.programId, notice.runId, notice.taskId, notice.personId, replyRefLifetimeHours],
  );
  return ref;
}

/** A reply as the listener received it: addresses and the body's text, nothing else is read. */
export interface InboundReply {
  /** The envelope's recipients (RCPT TO). */
  recipients: string[];
  /** The From header's address. */
  from: string | undefined;
  text: string;
}

export interface ReplyDeps {
  pool: Pool;
  temporal: Client;
  domain: string;
  logger: Logger;
  /** How long the Update may take to be accepted and finish before the reply is answered "try later". */
  updateMs?: number;
}

interface RefRow {
  ref_hash: string;
  program_id: string;
  run_id: string;
  task_id: string;
  person_id: string;
  used: boolean;
  expired: boolean;
  email: string | null;
  roles: Role[] | null;
}

/**
 * Handles one reply; never throws for what the reply holds. A reference is spent by the first
 * reply that reaches the run (checked off or refused by it); one that could not reach it
 * (Temporal away) stays usable, and the answer `try-later` makes the sender's mail system retry.
 */
export async function handleReply(deps: ReplyDeps, reply: InboundReply): Promise<ReplyOutcome> {
  const refs = reply.recipients.map((r) => refFromAddress(r, deps.domain)).filter((r): r is string => r !== undefined);
  let row: RefRow | undefined = undefined;
  const log = (outcome: ReplyOutcome) => {
    // Codes only: the reference's hash prefix (to find it in the table), the run and the task.
    deps.logger.info(
      {
        event: 'reply-check-off',
        outcome,
        ...(row ? { ref: row.ref_hash.slice(0, 12), programId: row.program_id, runId: row.run_id, task: row.task_id } : {}),
      },
      'check-off reply',
    );
    return outcome;
  };
  if (refs.length !== 1) return log('reply-ref-unknown');
  const ref = refs[0]!;
  const { rows } = await deps.pool.query<RefRow>(
    `SELECT r.ref_hash, r.program_id, r.run_id, r.task_id, r.person_id, r.used_at IS NOT NULL AS used, r.expires_at <= now() AS expired,
            p.email, p.roles
       FROM runbook_reply_refs r LEFT JOIN people p ON p.id = r.person_id AND NOT p.disabled
      WHERE r.ref_hash = $1`,
    [hashRef(ref)],
  );
  row = rows[0];
  if (!row) return log('reply-ref-unknown');
  if (row.used) return log('reply-ref-used');
  if (row.expired) return log('reply-ref-expired');
  // The reference went to one person: only their address on file may use it.
  if (!row.email || !reply.from || reply.from.trim().toLowerCase() !== row.email.toLowerCase()) return log('stranger-sender');
  const done = parseDoneLine(reply.text);
  if (!done) return log('not-a-check-off');
  if (done.task !== undefined && done.task.toLowerCase() !== row.task_id.toLowerCase()) return log('unknown-task');

  // Spent before the Update so that two copies of one reply arriving at once check off once.
  const claimed = await deps.pool.query('UPDATE runbook_reply_refs SET used_at = now() WHERE ref_hash = $1 AND used_at IS NULL', [
    row.ref_hash,
  ]);
  if (claimed.rowCount !== 1) return log('reply-ref-used');
  const outcome = await checkOff(deps, row);
  if (outcome === 'try-later') await deps.pool.query('UPDATE runbook_reply_refs SET used_at = NULL WHERE ref_hash = $1', [row.ref_hash]);
  else await deps.pool.query('UPDATE runbook_reply_refs SET outcome = $2 WHERE ref_hash = $1', [row.ref_hash, outcome]);
  return log(outcome);
}

async function checkOff(deps: ReplyDeps, row: RefRow): Promise<ReplyOutcome> {
  const handle = deps.temporal.workflow.getHandle(workflowIds.runbookRun(row.program_id, row.run_id));
  const within = <T>(call: () => Promise<T>) => deps.temporal.connection.withDeadline(Date.now() + (deps.updateMs ?? 10_000), call);
  try {
    // The Update's id is the reference's: a reply that reaches the run twice is applied once.
    const update = await within(() =>
      handle.startUpdate(checkOffUpdate, {
        args: [{ actor: { personId: row.person_id, roles: row.roles ?? [] }, task: row.task_id, channel: 'reply' }],
        updateId: `reply-${row.ref_hash.slice(0, 40)}`,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      }),
    );
    await within(() => update.result());
    return 'checked-off';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'run-finished';
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === ErrorType.NotAllowed) return 'refused-not-allowed';
      if (err.cause.type === ErrorType.InvalidInput) return 'unknown-task';
      return 'refused-invalid-state';
    }
    // Temporal away, a deadline passed: nothing was decided, the sender's system tries again.
    return 'try-later';
  }
}

/** The listener that receives replies (the API starts it when INBOUND_SMTP_PORT is set). */
export function listenForReplies(deps: ReplyDeps & { host: string; port: number; maxBytes?: number }): Promise<InboundSmtp> {
  return startInboundSmtp({
    host: deps.host,
    port: deps.port,
    domain: deps.domain,
    logger: deps.logger,
    maxBytes: deps.maxBytes,
    onReply: (mail) => handleReply(deps, mail),
  });
}
