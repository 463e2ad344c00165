/**
 * Idempotency-Key on POST: a client that retries after a lost answer gets the first answer
 * again instead of a second action. Keys belong to a person and live 24 hours.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { Principal } from '../domain/people';
import { canonicalJson } from '../platform/audit';
import type { Logger } from '../platform/logger';
import { HttpError } from './errors';
import { beforeSend, type AnyRoute } from './route';

export const idempotencyHeader = 'Idempotency-Key';
const keyPattern = /^[A-Za-z0-9._-]{1,64}$/;
// Headers a replay must repeat for the client to read it as the first answer.
const keptHeaders = ['content-type', 'location'];
// A claim older than this belongs to a process that died mid-request: the next duplicate takes it over.
const abandonedAfter = '5 minutes';
const purgeEveryMs = 10 * 60_000;

type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; headers: Record<string, string>; body: string | null }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' };

interface KeyRow {
  method: string;
  path: string;
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

async function claim(pool: Pool, personId: string, key: string, method: string, path: string, requestHash: string): Promise<Claim> {
  // Two rounds: the row we collided with may vanish in between (a 5xx releases its key).
  for (let round = 0; round < 2; round++) {
    const inserted = await pool.query(
      `INSERT INTO idempotency_keys (person_id, key, method, path, request_hash, state, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'in_flight', now() + interval '24 hours')
       ON CONFLICT (person_id, key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path,
         request_hash = EXCLUDED.request_hash, state = 'in_flight', response_status = NULL, response_headers = NULL,
         response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at < now()
          OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.created_at < now() - interval '${abandonedAfter}')`,
      [personId, key, method, path, requestHash],
    );
    if (inserted.rowCount === 1) return { kind: 'claimed' };
    const found = await pool.query<KeyRow>('SELECT * FROM idempotency_keys WHERE person_id = $1 AND key = $2', [personId, key]);
    const row = found.rows[0];
    if (!row) continue;
    if (row.method !== method || row.path !== path || row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.state === 'in_flight') return { kind: 'in_flight' };
    return { kind: 'replay', status: row.response_status!, headers: row.response_headers ?? {}, body: row.response_body };
  }
  return { kind: 'in_flight' };
}

/** Makes the POST guard for each route; one per app, so the occasional purge of old keys is per process. */
export function createIdempotencyGuard(pool: Pool, logger: Logger): (def: AnyRoute) => RequestHandler {
  let lastPurge = 0;
  return (def) => async (req, res, next) => {
    try {
      const key = req.header(idempotencyHeader);
      // Keys belong to a person: a public route (sign-in) has none to file them under, and its
      // answer (a session's CSRF token) must never be stored for a replay.
      if (def.method !== 'post' || key === undefined || def.roles === 'public') return next();
      if (!keyPattern.test(key)) {
        throw new HttpError(
          400,
          'invalid_idempotency_key',
          `the ${idempotencyHeader} header must be 1 to 64 letters, digits, '.', '_' or '-'`,
        );
      }
      if (Date.now() - lastPurge > purgeEveryMs) {
        lastPurge = Date.now();
        await pool.query('DELETE FROM idempotency_keys WHERE expires_at < now()');
      }
      const personId = (res.locals.principal as Principal).personId;
      const requestHash = createHash('sha256')
        .update(canonicalJson(req.body ?? null))
        .digest('hex');
      let claimed = await claim(pool, personId, key, req.method, req.path, requestHash);
      // The same request whose first attempt still holds the key, or died holding it (the API
      // process crashed between the Update and its answer): where the effect is keyed by the
      // same key it runs again and meets the first attempt's effect, and the client gets its
      // answer now rather than a 409 until the claim counts as abandoned.
      if (claimed.kind === 'in_flight' && def.keyedByIdempotencyKey) claimed = { kind: 'claimed' };
      switch (claimed.kind) {
        case 'mismatch':
          throw new HttpError(
            422,
            'idempotency_key_reused',
            `the ${idempotencyHeader} header was already used for a different request; send a new key`,
            { header: idempotencyHeader },
          );
        case 'in_flight':
          throw new HttpError(409, 'idempotency_key_in_flight', `a request with this ${idempotencyHeader} is still running; retry later`, {
            header: idempotencyHeader,
          });
        case 'replay':
          res.status(claimed.status).set(claimed.headers).setHeader('Idempotent-Replayed', 'true');
          if (claimed.body === null) res.end();
          else res.send(claimed.body);
          return;
        case 'claimed':
          beforeSend(res, async ({ status, body }) => {
            try {
              if (!(status >= 200 && status < 300) && !(status >= 400 && status < 500)) {
                // A server failure is no answer: release the key so a retry runs for real.
                await pool.query(`DELETE FROM idempotency_keys WHERE person_id = $1 AND key = $2 AND state = 'in_flight'`, [personId, key]);
                return;
              }
              const headers: Record<string, string> = {};
              for (const h of keptHeaders) {
                const v = res.getHeader(h);
                if (v !== undefined) headers[h] = String(v);
              }
              await pool.query(
                `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_headers = $4, response_body = $5
                  WHERE person_id = $1 AND key = $2 AND state = 'in_flight'`,
                [personId, key, status, headers, body?.toString('utf8') ?? null],
              );
            } catch (err) {
              logger.error(
                { requestId: res.locals.requestId as string, err: { code: (err as { code?: unknown }).code } },
                'idempotency key not stored',
              );
            }
          });
          return next();
      }
    } catch (err) {
      next(err);
    }
  };
}
