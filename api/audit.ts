/**
 * Every state-changing request leaves an audit entry, whatever its result (refusals too),
 * written before the response leaves so a client that saw an answer can find its entry.
 *
 * Ordering: a request that passed authorisation and validation appends its intent ('started')
 * before the handler acts, and its outcome (the status) before the answer leaves. If the intent
 * cannot be written, nothing is done and the client gets 503; if the outcome cannot be written,
 * the action has happened (and its intent is in the trail) but a success is turned into 503, so
 * no 2xx ever goes out without its entries committed. Writing only after the fact could leave an
 * action with no trace at all; writing only before could not record how it ended.
 *
 * Counted, not written row by row: authentication failures (api/abuse.ts) and idempotent replays
 * (here), one entry per source or key and minute (platform/tally.ts).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Principal } from '../domain/people';
import { appendAudit } from '../platform/audit';
import { countEvent } from '../platform/tally';
import type { Deps } from './deps';
import { HttpError } from './errors';
import { idempotencyHeader } from './idempotency';
import { beforeHandle, beforeSend, type AnyRoute, type Replacement } from './route';

export const auditedMethods: ReadonlySet<AnyRoute['method']> = new Set(['post', 'put', 'patch', 'delete']);

/** Reads of patient data: their downloads are audited by the route, their refusals here. */
export const patientDataPaths: ReadonlySet<string> = new Set([
  '/v1/programs/{programId}/parallel-run/runs/{runId}/differences.csv',
  '/v1/programs/{programId}/emergencies/{emergency}/packets/{department}',
  '/v1/programs/{programId}/emergencies/{emergency}/packets/{department}/print',
]);

/**
 * Requests whose effect is nothing without their answer: a sign-in's session is only the cookie
 * it sends. They skip the intent entry (so a failed sign-in, counted per source, writes no row);
 * if their outcome cannot be written, the 503 that replaces the answer drops the cookie.
 */
const outcomeOnly: ReadonlySet<string> = new Set(['POST /v1/session']);

/** Whether a route gets the audit middleware at all. */
export const isAudited = (def: AnyRoute) => auditedMethods.has(def.method) || patientDataPaths.has(def.path);

const retryAfterSeconds = '5';
const auditUnavailable = (done: boolean): Replacement => ({
  status: 503,
  headers: { 'Retry-After': retryAfterSeconds },
  body: {
    error: 'audit_unavailable',
    message: done
      ? 'the action was done, but its audit entry could not be written; check its state before retrying'
      : 'the audit trail cannot be written now; nothing was done, retry later',
  },
});

/** The "why": the body's `reason` or `comment`, the only body fields the audit keeps. */
function reasonOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const { reason, comment } = body as { reason?: unknown; comment?: unknown };
  const why = typeof reason === 'string' ? reason : typeof comment === 'string' ? comment : null;
  return why === null ? null : why.slice(0, 2000);
}

/**
 * Path parameters are opaque ids, except a link's token, which is a credential while it is
 * unused: the trail keeps its sha256 (the form incident_ack_tokens keeps) so it can still be matched.
 */
function auditValue(name: string, value: string): string {
  return name === 'token' ? `sha256:${createHash('sha256').update(value).digest('hex')}` : value.slice(0, 200);
}

export function auditRequest(def: AnyRoute, deps: Pick<Deps, 'pool' | 'logger'>): RequestHandler {
  const action = `${def.method.toUpperCase()} ${def.path}`;
  const changes = auditedMethods.has(def.method);
  return (req, res, next) => {
    // Taken now: once a refusal reaches the app's error handler, express has reset req.params.
    const target = Object.fromEntries(Object.entries(req.params as Record<string, string>).map(([k, v]) => [k, auditValue(k, String(v))]));
    const entry = (result: string) => {
      const principal = res.locals.principal as Principal | undefined;
      return {
        actor: principal?.personId ?? 'anonymous',
        roles: principal?.roles ?? [],
        action,
        target,
        reason: reasonOf(req.body),
        requestId: res.locals.requestId as string,
        result,
      };
    };
    const logFailure = (err: unknown, what: string) =>
      deps.logger.error(
        { requestId: res.locals.requestId as string, action, err: { code: (err as { code?: unknown }).code } },
        `audit ${what} failed`,
      );

    if (changes && !outcomeOnly.has(action)) {
      beforeHandle(res, async () => {
        try {
          await appendAudit(deps.pool, entry('started'));
        } catch (err) {
          logFailure(err, 'intent');
          res.setHeader('Retry-After', retryAfterSeconds);
          const r = auditUnavailable(false);
          throw new HttpError(r.status, r.body.error as string, r.body.message as string);
        }
      });
    }
    beforeSend(res, async ({ status }) => {
      // Counted by the authentication guard, one entry per source and minute.
      if (status === 401 || res.locals.authRateLimited) return;
      // A read of patient data leaves an entry here only when refused; a download is audited by its route.
      if (!changes && status !== 403) return;
      try {
        if (res.getHeader('idempotent-replayed')) await countReplay(deps, req, res, action, target);
        else await appendAudit(deps.pool, entry(String(status)));
      } catch (err) {
        logFailure(err, 'outcome');
        // A refusal changed nothing; a success without its entry must not go out as one.
        if (status < 400) return auditUnavailable(true);
      }
    });
    next();
  };
}

function countReplay(deps: Pick<Deps, 'pool'>, req: Request, res: Response, action: string, target: Record<string, string>) {
  const principal = res.locals.principal as Principal | undefined;
  const personId = principal?.personId ?? 'anonymous';
  const key = req.header(idempotencyHeader) ?? '';
  return countEvent(deps.pool, 'idempotent_replay', `${personId}:${key}`, {
    actor: personId,
    roles: principal?.roles ?? [],
    action,
    target: { ...target, idempotencyKey: key },
  });
}

/**
 * A download of patient data (differences, downtime packets) leaves PostgreSQL only through a
 * route: who took what is appended before the first byte goes out, and without it nothing goes
 * out (503). Opaque ids only in the target.
 */
export async function auditDownload(
  ctx: { deps: Pick<Deps, 'pool'>; principal?: Principal; requestId: string; res?: Response },
  route: AnyRoute['path'],
  target: Record<string, string>,
): Promise<void> {
  try {
    await appendAudit(ctx.deps.pool, {
      actor: ctx.principal!.personId,
      roles: ctx.principal!.roles,
      action: `GET ${route}`,
      target,
      requestId: ctx.requestId,
      result: 'downloaded',
    });
  } catch {
    ctx.res?.setHeader('Retry-After', retryAfterSeconds);
    const r = auditUnavailable(false);
    throw new HttpError(r.status, r.body.error as string, r.body.message as string);
  }
}
