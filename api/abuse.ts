/**
 * Limits on guessing credentials. Failed authentications (401) are counted per source address
 * and minute in PostgreSQL (platform/tally.ts), so every API instance adds to the same count;
 * once a source reaches AUTH_FAILURES_PER_MINUTE, each instance that sees it fail refuses every
 * credentialed request from it with 429 until the minute ends, without looking at the credential
 * (a 401 or 200 would still tell a guess from a hit). The block itself is kept in the memory of
 * the instance that saw the failure: another instance blocks the source at its next failure there.
 * Sign-ins are also limited per token (SIGN_INS_PER_MINUTE).
 *
 * The source is the connection's address (express's req.ip): behind a proxy, every client shares
 * the proxy's, unless express is told to trust its X-Forwarded-For.
 */
import type { RequestHandler, Response } from 'express';
import { countEvent } from '../platform/tally';
import { hashToken } from '../app/people';
import type { Deps } from './deps';
import { HttpError } from './errors';
import { beforeSend, type AnyRoute } from './route';

export const signInPath = '/v1/session';

function tooMany(res: Response, seconds: number, what: string): HttpError {
  res.setHeader('Retry-After', String(seconds));
  res.locals.authRateLimited = true;
  return new HttpError(429, 'too_many_requests', `${what}; retry after ${seconds} s`, { retryAfterSeconds: seconds });
}

/** One guard per app; its blocked sources are per process. */
export function createAuthGuard(deps: Pick<Deps, 'pool' | 'logger' | 'config'>): (def: AnyRoute) => RequestHandler {
  const blockedUntil = new Map<string, number>();
  const limit = deps.config.AUTH_FAILURES_PER_MINUTE;
  return (def) => {
    const credentialed = def.roles !== 'public' || (def.method === 'post' && def.path === signInPath);
    return (req, res, next) => {
      if (!credentialed) return next();
      const source = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const until = blockedUntil.get(source);
      if (until !== undefined && until <= Date.now()) blockedUntil.delete(source);
      beforeSend(res, async ({ status }) => {
        if (status !== 401 && !res.locals.authRateLimited) return;
        try {
          const { count, secondsLeft } = await countEvent(deps.pool, 'auth_failure', source, {
            actor: 'anonymous',
            action: 'auth.failed',
            target: { source },
          });
          if (count >= limit) {
            if (blockedUntil.size >= 100_000) blockedUntil.clear();
            blockedUntil.set(source, Date.now() + secondsLeft * 1000);
          }
        } catch (err) {
          deps.logger.error(
            { requestId: res.locals.requestId as string, err: { code: (err as { code?: unknown }).code } },
            'authentication failure not counted',
          );
        }
      });
      if (until !== undefined && until > Date.now())
        return next(tooMany(res, Math.ceil((until - Date.now()) / 1000), 'too many failed authentications from this address'));
      next();
    };
  };
}

/** Counts a sign-in attempt with this token; throws 429 past SIGN_INS_PER_MINUTE in this minute. */
export async function limitSignIns(deps: Pick<Deps, 'pool' | 'config'>, res: Response, token: string): Promise<void> {
  const { count, secondsLeft } = await countEvent(deps.pool, 'sign_in', hashToken(token).slice(0, 32));
  if (count > deps.config.SIGN_INS_PER_MINUTE) {
    res.locals.signInRateLimited = true;
    throw tooMany(res, secondsLeft, 'too many sign-ins with this token');
  }
}
