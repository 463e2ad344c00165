/**
 * People, bearer tokens and role checks. A token is `glv_` + 32 random bytes; only its sha256
 * is stored, so a copy of the database lends nobody an identity. The use-case functions
 * (addPerson, issueToken, ...) serve the admin command line, the demo seeding and the tests.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { PersonId, Role, type Principal } from '../domain/people';
import { HttpError } from './errors';
import type { AnyRoute } from './route';
import { CSRF_HEADER, sessionCookieValue, type Session } from './session';

export const tokenPrefix = 'glv_';
const tokenPattern = /^glv_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const PersonInput = z.object({
  id: PersonId,
  displayName: z.string().trim().min(1).max(200),
  email: z.email(),
  roles: z.array(Role).min(1),
});
export type PersonInput = z.input<typeof PersonInput>;

/** Creates the person or brings them up to date (roles replaced, re-enabled). */
export async function addPerson(pool: Pool, input: PersonInput): Promise<{ created: boolean }> {
  const p = PersonInput.parse(input);
  const roles = [...new Set(p.roles)];
  const res = await pool.query<{ created: boolean }>(
    `INSERT INTO people (id, display_name, email, roles) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
       roles = EXCLUDED.roles, disabled = false, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [p.id, p.displayName, p.email, roles],
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
  return res.rows.map((r) => ({ id: r.id, displayName: r.display_name, roles: r.roles, disabled: r.disabled, activeTokens: r.active_tokens }));
}

/**
 * The enabled person behind a valid (unrevoked) token, and the token's id. Marks the token used,
 * to the minute: enough to find unused tokens, without a write per request.
 */
export async function tokenOwner(pool: Pool, token: string): Promise<{ tokenId: string; principal: Principal } | undefined> {
  const res = await pool.query<{ token_id: string; id: string; display_name: string; email: string; roles: Role[]; stale: boolean }>(
    `SELECT t.id AS token_id, p.id, p.display_name, p.email, p.roles,
            (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale
       FROM api_tokens t JOIN people p ON p.id = t.person_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT p.disabled`,
    [hashToken(token)],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  if (row.stale) await pool.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.token_id]);
  return { tokenId: row.token_id, principal: { personId: row.id, displayName: row.display_name, email: row.email, roles: row.roles } };
}

export type Authenticator = (authorization: string | undefined) => Promise<Principal | undefined>;

/**
 * Resolves `Authorization: Bearer <token>` to its person with one indexed query. Verified
 * tokens are trusted for `cacheMs` without asking again, so a revocation or a role change
 * takes effect within that time; unknown tokens are never cached (a new one works at once).
 */
export function createAuthenticator(pool: Pool, cacheMs = 5_000): Authenticator {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (authorization) => {
    const token = /^Bearer (\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    if (!token || !tokenPattern.test(token)) return undefined;
    const hash = hashToken(token);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.principal;
    cache.delete(hash);
    const owner = await tokenOwner(pool, token);
    if (!owner) return undefined;
    const { principal } = owner;
    if (cacheMs > 0) {
      if (cache.size >= 10_000) cache.clear();
      cache.set(hash, { principal, until: Date.now() + cacheMs });
    }
    return principal;
  };
}

/**
 * The route's gate: public routes pass; others need a valid bearer token or a command-center
 * session (401) of a person holding at least one of the route's roles (403 naming them). A
 * session's state-changing requests must carry its CSRF token (403 otherwise). Sets
 * res.locals.principal for toHandler.
 */
export function authorize(def: AnyRoute, authenticate: Authenticator, findSession: (cookieValue: string) => Promise<Session | undefined>): RequestHandler {
  return async (req, res, next) => {
    if (def.roles === 'public') return next();
    try {
      const authorization = req.header('authorization');
      const cookie = authorization === undefined ? sessionCookieValue(req.header('cookie')) : undefined;
      let principal: Principal | undefined;
      if (cookie !== undefined) {
        const session = await findSession(cookie);
        if (session && !safeMethods.has(req.method) && !sameSecret(req.header(CSRF_HEADER), session.csrfToken)) {
          return next(new HttpError(403, 'csrf_failed', `a signed-in page must send its session's ${CSRF_HEADER} header with every change`));
        }
        principal = session?.principal;
        // For GET /v1/session, which hands the page its CSRF token: no second lookup.
        res.locals.session = session;
      } else {
        principal = await authenticate(authorization);
      }
      if (!principal) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="golive"');
        return next(new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <token>, or sign in'));
      }
      res.locals.principal = principal;
      const allowed: readonly Role[] = def.roles;
      if (!principal.roles.some((r) => allowed.includes(r))) {
        return next(new HttpError(403, 'forbidden', `requires one of the roles: ${allowed.join(', ')}`, { missingRoles: [...allowed] }));
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
