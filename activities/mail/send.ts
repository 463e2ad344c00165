import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { wantsCheckLink } from '../../app/check-links';
import { issueReplyRef } from '../../app/reply-checkoffs';
import { ErrorType } from '../../domain/errors';
import { replyAddress } from '../../domain/reply-checkoff';
import type { Mailer } from '../../platform/mailer';
import { MailMessage } from './templates';
import { renderMail } from './render';
import { underKeyLock } from '../outbox';
import { readerLocale } from '../../app/locale';
import type { Locale } from '../../domain/i18n';

export interface SendEmailInput {
  /** Computed by the workflow; the same key never sends twice. */
  idempotencyKey: string;
  to: string;
  message: MailMessage;
  /** The recipient's language; absent or null: their hospital's (the plan's), else English. */
  locale?: Locale | null;
  /** Whom `to` belongs to: a runbook task's notice to them may be answered by reply. */
  personId?: string;
}
export interface SendEmailResult {
  messageId: string;
  sentAt: string;
  /** True when an earlier attempt had already sent it. */
  duplicate: boolean;
}

export interface MailDeps {
  pool: Pool;
  mailer: Mailer;
  mailFrom: string;
  publicBaseUrl: string;
  /** The domain of golive's inbound SMTP listener: runbook task notices then invite a `DONE` reply. */
  inboundMailDomain?: string;
}

/**
 * The Message-ID of one e-mail: derived from its idempotency key, so a copy resent after a crash
 * carries the same id and mail clients fold it, and from the deployment, so that two
 * deployments (a test and a production one, two hospitals) never send the same id for their
 * own "incident ... level 1" e-mail: the right-hand side is the deployment's own host (from
 * PUBLIC_BASE_URL), as RFC 5322 asks, and the left-hand side hashes the base URL with the key.
 */
export function messageIdFor(publicBaseUrl: string, idempotencyKey: string): string {
  const host = new URL(publicBaseUrl).hostname.replace(/^\[|\]$/g, '') || 'golive.invalid';
  return `<${createHash('sha256').update(publicBaseUrl).update('\0').update(idempotencyKey).digest('hex').slice(0, 32)}@${host}>`;
}

/**
 * A notice that asks its one recipient to do a task they check off, on the night itself (a
 * rehearsal's list is not the task's owners), when golive receives mail.
 */
function replyable(
  input: SendEmailInput,
  message: MailMessage,
  domain: string | undefined,
): input is SendEmailInput & { personId: string } {
  return (
    domain !== undefined &&
    input.personId !== undefined &&
    message.template === 'runbook-task' &&
    !message.rehearsal &&
    wantsCheckLink(message)
  );
}

export function createMailActivities({ pool, mailer, mailFrom, publicBaseUrl, inboundMailDomain }: MailDeps) {
  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const parsed = MailMessage.safeParse(input.message);
      if (!parsed.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          message: 'mail message does not fit its template',
          nonRetryable: true,
        });
      }
      const locale = await readerLocale(pool, input.locale, 'programId' in parsed.data ? parsed.data.programId : undefined);
      const rendered = renderMail(parsed.data, {
        baseUrl: publicBaseUrl,
        locale,
        replyToCheckOff: replyable(input, parsed.data, inboundMailDomain),
      });
      const messageId = messageIdFor(publicBaseUrl, input.idempotencyKey);
      return underKeyLock(pool, input.idempotencyKey, 'e-mail', (db) => sendOnce(db, input, parsed.data, rendered, messageId));
    },
  };

  /** Sends under the key's lock: skipped when an earlier attempt sent it already. */
  async function sendOnce(
    db: PoolClient,
    input: SendEmailInput,
    message: MailMessage,
    rendered: ReturnType<typeof renderMail>,
    messageId: string,
  ): Promise<SendEmailResult> {
    const claim = await db.query<{ status: string; message_id: string; sent_at: Date | null }>(
      `INSERT INTO email_outbox (idempotency_key, recipient, template, subject, message_id, status)
       VALUES ($1, $2, $3, $4, $5, 'sending')
       ON CONFLICT (idempotency_key) DO UPDATE SET attempts = email_outbox.attempts + 1
       RETURNING status, message_id, sent_at`,
      [input.idempotencyKey, input.to, message.template, rendered.subject, messageId],
    );
    const row = claim.rows[0]!;
    if (row.status === 'sent') return { messageId: row.message_id, sentAt: row.sent_at!.toISOString(), duplicate: true };
    try {
      // Issued only for a message about to leave: a retry of one that left keeps the reference it carried.
      const replyTo =
        replyable(input, message, inboundMailDomain) && message.template === 'runbook-task'
          ? replyAddress(
              await issueReplyRef(db, {
                noticeKey: input.idempotencyKey,
                programId: message.programId,
                runId: message.runId,
                taskId: message.taskId,
                personId: input.personId,
              }),
              inboundMailDomain!,
            )
          : undefined;
      // The id the outbox holds: a resend after a crash repeats the first attempt's id even if the configuration changed since.
      await mailer.sendMail({
        ...(replyTo ? { replyTo } : {}),
        from: mailFrom,
        to: input.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId: row.message_id,
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      await db.query('UPDATE email_outbox SET last_error = $2 WHERE idempotency_key = $1', [input.idempotencyKey, smtpErrorSummary(err)]);
      // 5xx is a permanent refusal (bad mailbox, policy): retrying cannot help.
      if (code !== undefined && code >= 500) {
        throw ApplicationFailure.create({
          type: ErrorType.MailRejected,
          message: `SMTP refused the message (${code})`,
          nonRetryable: true,
        });
      }
      throw err;
    }
    const done = await db.query<{ sent_at: Date }>(
      `UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE idempotency_key = $1 RETURNING sent_at`,
      [input.idempotencyKey],
    );
    return { messageId: row.message_id, sentAt: done.rows[0]!.sent_at.toISOString(), duplicate: false };
  }
}

/** Error text for the outbox: the SMTP code and the error kind only, never the message. */
function smtpErrorSummary(err: unknown): string {
  const e = err as { code?: string; responseCode?: number };
  return [e.code, e.responseCode].filter((x) => x !== undefined).join(' ') || 'send failed';
}
