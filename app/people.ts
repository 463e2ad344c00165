/**
 * People and their bearer tokens: the directory the API authenticates against, the admin command
 * line and demo seeding manage, and the activities read addresses from. A token is `glv_` + 32
 * random bytes; only its sha256 is stored, so a copy of the database lends nobody an identity.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { locales, type Locale } from '../domain/i18n';
import { PersonId, Role, type NamedActor, type Principal } from '../domain/people';

export const tokenPrefix = 'glv_';
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const PersonInput = z.object({
  id: PersonId,
  displayName: z.string().trim().min(1).max(200),
  email: z.email(),
  roles: z.array(Role).min(1),
  /** Absent: the hospital's language (the plan's hospital.locale). */
  locale: z.enum(locales).optional(),
});
export type PersonInput = z.input<typeof PersonInput>;

/** Creates the person or brings them up to date (roles replaced, re-enabled). */
export async function addPerson(pool: Pool, input: PersonInput): Promise<{ created: boolean }> {
  const p = PersonInput.parse(input);
  const roles = [...new Set(p.roles)];
  const res = await pool.query<{ created: boolean }>(
    `INSERT INTO people (id, display_name, email, roles, locale) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
       roles = EXCLUDED.roles, locale = coalesce(EXCLUDED.locale, people.locale), disabled = false, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [p.id, p.displayName, p.email, roles, p.locale ?? null],
  );
  return { created: res.rows[0]!.created };
}

/** A disabled person's tokens stop working at once (within the authenticator's cache time). */
export async function disablePerson(pool: Pool, personId: string): Promise<boolean> {
  const res = await pool.query('UPDATE people SET disabled = true, updated_at = now() WHERE id = $1', [personId]);
  return res.rowCount === 1;
}

/** Issues a new token. The plain token is in the answer only: show it once, it cannot be recovered. */
export async function issueToken(pool: Pool, personId: string): Promise<{ tokenId: string; token: string }> {
  const token = tokenPrefix + randomBytes(32).toString('base64url');
  const tokenId = `tok_${randomBytes(8).toString('hex')}`;
  const res = await pool.query(
    `INSERT INTO api_tokens (id, person_id, token_hash) SELECT $1, id, $3 FROM people WHERE id = $2 AND NOT disabled`,
    [tokenId, personId, hashToken(token)],
  );
  if (res.rowCount !== 1) throw new Error(`no enabled person ${personId}`);
  return { tokenId, token };
}

/** Revokes one token by id, or every token of a person. Returns how many were revoked now. */
export async function revokeToken(pool: Pool, which: { tokenId: string } | { personId: string }): Promise<number> {
  const [column, value] = 'tokenId' in which ? ['id', which.tokenId] : ['person_id', which.personId];
  const res = await pool.query(`UPDATE api_tokens SET revoked_at = now() WHERE ${column} = $1 AND revoked_at IS NULL`, [value]);
  return res.rowCount ?? 0;
}

export interface PersonSummary {
  id: string;
  displayName: string;
  roles: Role[];
  disabled: boolean;
  activeTokens: number;
}

export async function listPeople(pool: Pool): Promise<PersonSummary[]> {
  const res = await pool.query<{ id: string; display_name: string; roles: Role[]; disabled: boolean; active_tokens: number }>(
    `SELECT p.id, p.display_name, p.roles, p.disabled,
            (SELECT count(*)::int FROM api_tokens t WHERE t.person_id = p.id AND t.revoked_at IS NULL) AS active_tokens
       FROM people p ORDER BY p.id`,
  );
  return res.rows.map((r) => ({
    id: r.id,
    displayName: r.display_name,
    roles: r.roles,
    disabled: r.disabled,
    activeTokens: r.active_tokens,
  }));
}

/**
 * The enabled person behind a valid (unrevoked) token, and the token's id. Marks the token used,
 * to the minute: enough to find unused tokens, without a write per request.
 */
export async function tokenOwner(pool: Pool, token: string): Promise<{ tokenId: string; principal: Principal } | undefined> {
  const res = await pool.query<{
    token_id: string;
    id: string;
    display_name: string;
    email: string;
    roles: Role[];
    locale: Locale | null;
    stale: boolean;
  }>(
    `SELECT t.id AS token_id, p.id, p.display_name, p.email, p.roles, p.locale,
            (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale
       FROM api_tokens t JOIN people p ON p.id = t.person_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT p.disabled`,
    [hashToken(token)],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  if (row.stale) await pool.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.token_id]);
  return {
    tokenId: row.token_id,
    principal: { personId: row.id, displayName: row.display_name, email: row.email, roles: row.roles, locale: row.locale },
  };
}

export interface StaffContact {
  personId: string;
  displayName: string;
  email: string;
  /** The language they read; null or absent: the hospital's. */
  locale?: Locale | null;
}

/** Sets the language a person reads (null: the hospital's). */
export async function setPersonLocale(pool: Pool, personId: string, locale: Locale | null): Promise<boolean> {
  const res = await pool.query('UPDATE people SET locale = $2, updated_at = now() WHERE id = $1', [personId, locale]);
  return res.rowCount === 1;
}
/** Person ids to addresses, at send time (people move, addresses change). Unknown ids are left out. */
export type ResolvePeople = (personIds: string[]) => Promise<StaffContact[]>;

export const peopleTableResolver =
  (pool: Pool): ResolvePeople =>
  async (ids) => {
    const { rows } = await pool.query<StaffContact>(
      'SELECT id AS "personId", display_name AS "displayName", email, locale FROM people WHERE id = ANY($1) AND NOT disabled',
      [ids],
    );
    return rows;
  };

/** An enabled person by id, with their roles as they stand now (a link's holder acts with today's roles). */
export async function enabledPerson(pool: Pool, personId: string): Promise<NamedActor | undefined> {
  const { rows } = await pool.query<NamedActor>(
    'SELECT id AS "personId", display_name AS "displayName", roles FROM people WHERE id = $1 AND NOT disabled',
    [personId],
  );
  return rows[0];
}

/**
 * The names people are shown by, for these ids. Disabled people still resolve: a name in the
 * history stays the name it was. Unknown ids are left out.
 */
export async function displayNames(pool: Pool, ids: readonly string[]): Promise<Record<string, string>> {
  if (!ids.length) return {};
  const { rows } = await pool.query<{ id: string; display_name: string }>('SELECT id, display_name FROM people WHERE id = ANY($1)', [
    [...ids],
  ]);
  return Object.fromEntries(rows.map((r) => [r.id, r.display_name]));
}
