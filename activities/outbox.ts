/**
 * One sender per idempotency key at a time, for the outboxes (e-mail, chat): an attempt that timed
 * out on the server may still be sending while its retry (or another activity with the same key)
 * starts. The lock is the connection's, so a sender that dies (kill -9) releases it with its
 * connection at once.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { ErrorType } from '../domain/errors';

/** The first key of golive's advisory locks on outbox keys (the second is the key's hash). */
const OUTBOX_LOCK_SPACE = 0x6d61696c;

export async function underKeyLock<T>(pool: Pool, key: string, what: string, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let locked = false;
  try {
    locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [OUTBOX_LOCK_SPACE, key])).rows[0]!
      .ok;
    if (!locked)
      throw ApplicationFailure.create({
        type: ErrorType.MailInFlight,
        message: `this ${what} is being sent by another attempt; retried after it`,
        nonRetryable: false,
      });
    return await fn(client);
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [OUTBOX_LOCK_SPACE, key]).catch(() => undefined);
    client.release();
  }
}
