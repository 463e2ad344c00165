/**
 * Bearer tokens and role checks at the HTTP edge. The people and tokens themselves (addPerson,
 * issueToken, tokenOwner, ...) are use cases in app/people.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { Principal, Role } from '../domain/people';
import { hashToken, tokenOwner } from '../app/people';
import { HttpError } from './errors';
import type { AnyRoute } from './route';
import { CSRF_HEADER, sessionCookieValue, type Session } from './session';

const tokenPattern = /^glv_[A-Za-z0-9_-]{43}$/;

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
export function authorize(
  def: AnyRoute,
  authenticate: Authenticator,
  findSession: (cookieValue: string) => Promise<Session | undefined>,
): RequestHandler {
  return async (req, res, next) => {
    if (def.roles === 'public') return next();
    try {
      const authorization = req.header('authorization');
      const cookie = authorization === undefined ? sessionCookieValue(req.header('cookie')) : undefined;
      let principal: Principal | undefined;
      if (cookie !== undefined) {
        const session = await findSession(cookie);
        if (session && !safeMethods.has(req.method) && !sameSecret(req.header(CSRF_HEADER), session.csrfToken)) {
          return next(
            new HttpError(403, 'csrf_failed', `a signed-in page must send its session's ${CSRF_HEADER} header with every change`),
          );
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
