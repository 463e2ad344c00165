/**
 * Sends one chat message through one channel, once: the workflow's idempotency key is claimed in
 * chat_outbox under the key's lock, as e-mails are in email_outbox, and the receiver gets an opaque
 * id of it too (the generic webhook's Idempotency-Key header), should a crash fall between its
 * answer and our record of it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { chatChannelForSend } from '../../app/chat-channels';
import { ErrorType } from '../../domain/errors';
import { MailMessage } from '../mail/templates';
import { messageParts } from '../mail/render';
import { underKeyLock } from '../outbox';
import { readerLocale } from '../../app/locale';
import type { Locale } from '../../domain/i18n';
import { chatOutcome, chatRequest } from './formats';

export interface SendChatInput {
  /** Computed by the workflow; the same key never sends twice. */
  idempotencyKey: string;
  channelId: string;
  message: MailMessage;
  /** The person's language; absent for a group chat: the hospital's. */
  locale?: Locale | null;
}

/** A webhook that has not answered in this long is down for this attempt; the activity retries. */
const CHAT_TIMEOUT_MS = 10_000;

export function createChatActivities({
  pool,
  publicBaseUrl,
  fetchImpl = fetch,
}: {
  pool: Pool;
  publicBaseUrl: string;
  fetchImpl?: typeof fetch;
}) {
  return {
    async sendChat(input: SendChatInput): Promise<{ duplicate: boolean }> {
      const parsed = MailMessage.safeParse(input.message);
      if (!parsed.success)
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          message: 'chat message does not fit its template',
          nonRetryable: true,
        });
      const channel = await chatChannelForSend(pool, input.channelId);
      if (!channel)
        throw ApplicationFailure.create({ type: ErrorType.ChatRejected, message: 'chat channel removed or disabled', nonRetryable: true });
      const locale = await readerLocale(pool, input.locale, 'programId' in parsed.data ? parsed.data.programId : undefined);
      const parts = messageParts(parsed.data, { baseUrl: publicBaseUrl, locale });
      return underKeyLock(pool, input.idempotencyKey, 'chat message', async (db) => {
        const claim = await db.query<{ status: string }>(
          `INSERT INTO chat_outbox (idempotency_key, channel_id, template, status) VALUES ($1, $2, $3, 'sending')
           ON CONFLICT (idempotency_key) DO UPDATE SET attempts = chat_outbox.attempts + 1 RETURNING status`,
          [input.idempotencyKey, input.channelId, parsed.data.template],
        );
        if (claim.rows[0]!.status === 'sent') return { duplicate: true };
        const req = chatRequest(channel, { ...parts, template: parsed.data.template }, input.idempotencyKey, Date.now());
        let outcome: 'sent' | 'retry' | 'refused';
        let error: string;
        try {
          const res = await fetchImpl(req.url, {
            method: 'POST',
            headers: req.headers,
            body: req.body,
            signal: AbortSignal.timeout(CHAT_TIMEOUT_MS),
            redirect: 'error',
          });
          const text = (await res.text()).slice(0, 2000);
          outcome = chatOutcome(channel.kind, res.status, text);
          // The robots' errcode is a number; the rest of their answer is not kept (it may echo the message).
          error = `http ${res.status}${channel.kind === 'webhook' ? '' : ` errcode ${errcodeOf(text)}`}`;
        } catch (err) {
          outcome = 'retry';
          error = (err as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'unreachable';
        }
        if (outcome === 'sent') {
          await db.query(`UPDATE chat_outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE idempotency_key = $1`, [
            input.idempotencyKey,
          ]);
          return { duplicate: false };
        }
        await db.query('UPDATE chat_outbox SET last_error = $2 WHERE idempotency_key = $1', [input.idempotencyKey, error]);
        throw ApplicationFailure.create({
          type: outcome === 'refused' ? ErrorType.ChatRejected : ErrorType.ChatUnavailable,
          message: `the ${channel.kind} webhook ${outcome === 'refused' ? 'refused' : 'did not take'} the message (${error})`,
          nonRetryable: outcome === 'refused',
        });
      });
    },
  };
}

function errcodeOf(text: string): string {
  try {
    const code = (JSON.parse(text) as { errcode?: unknown }).errcode;
    return typeof code === 'number' ? String(code) : '?';
  } catch {
    return '?';
  }
}
