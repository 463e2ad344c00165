/**
 * Acknowledge links: the incident activities issue a single-use token per person and notice,
 * the API looks it up and spends it. Only the token's sha256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

export const hashAckToken = (token: string) => createHash('sha256').update(token).digest('hex');

const ackTokenLifetimeHours = 24;

/**
 * A fresh token for one person's notice. A retry replaces the token of its notice: only the one
 * returned to the workflow is mailed.
 */
export async function issueAckToken(pool: Pool, notice: { noticeKey: string; incidentId: string; personId: string }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await pool.query(
    `INSERT INTO incident_ack_tokens (token_hash, notice_key, incident_id, person_id, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))
     ON CONFLICT (notice_key) DO UPDATE SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at`,
    [hashAckToken(token), notice.noticeKey, notice.incidentId, notice.personId, ackTokenLifetimeHours],
  );
  return token;
}

export interface AckTokenOwner {
  incidentId: string;
  personId: string;
  /** Neither used nor expired. */
  usable: boolean;
}

export async function findAckToken(pool: Pool, token: string): Promise<AckTokenOwner | undefined> {
  const { rows } = await pool.query<AckTokenOwner>(
    'SELECT incident_id AS "incidentId", person_id AS "personId", (used_at IS NULL AND expires_at > now()) AS usable FROM incident_ack_tokens WHERE token_hash = $1',
    [hashAckToken(token)],
  );
  return rows[0];
}

export async function spendAckToken(pool: Pool, token: string, personId: string): Promise<void> {
  await pool.query('UPDATE incident_ack_tokens SET used_at = now(), used_by = $2 WHERE token_hash = $1', [hashAckToken(token), personId]);
}
