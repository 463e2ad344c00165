/**
 * Every state-changing request leaves an audit entry, whatever its result (refusals too),
 * written before the response leaves so a client that saw an answer can find its entry.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Principal } from '../domain/people';
import { appendAudit } from '../platform/audit';
import type { Deps } from './deps';
import { beforeSend, type AnyRoute } from './route';

export const auditedMethods: ReadonlySet<AnyRoute['method']> = new Set(['post', 'put', 'patch', 'delete']);

/** The "why": the body's `reason` or `comment`, the only body fields the audit keeps. */
function reasonOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const { reason, comment } = body as { reason?: unknown; comment?: unknown };
  const why = typeof reason === 'string' ? reason : typeof comment === 'string' ? comment : null;
  // PostgreSQL text cannot hold NUL: a crafted reason must not make the entry fail to append.
  return why === null ? null : why.replace(/\0/g, '').slice(0, 2000);
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
  return (req, res, next) => {
    // Taken now: once a refusal reaches the app's error handler, express has reset req.params.
    const target = Object.fromEntries(Object.entries(req.params as Record<string, string>).map(([k, v]) => [k, auditValue(k, String(v))]));
    beforeSend(res, async ({ status }) => {
      const principal = res.locals.principal as Principal | undefined;
      const requestId = res.locals.requestId as string;
      try {
        await appendAudit(deps.pool, {
          actor: principal?.personId ?? 'anonymous',
          roles: principal?.roles ?? [],
          action,
          target,
          reason: reasonOf(req.body),
          requestId,
          result: String(status),
          details: res.getHeader('idempotent-replayed') ? { idempotentReplay: true } : null,
        });
      } catch (err) {
        // The action has happened or been refused already; the answer still goes out, loudly.
        deps.logger.error({ requestId, action, err: { code: (err as { code?: unknown }).code } }, 'audit append failed');
      }
    });
    next();
  };
}

/**
 * A download of patient data (differences, downtime packets) leaves PostgreSQL only through a
 * route: who took what is appended before the first byte goes out. Opaque ids only in the target.
 */
export async function auditDownload(ctx: { deps: Pick<Deps, 'pool'>; principal?: Principal; requestId: string }, route: AnyRoute['path'], target: Record<string, string>): Promise<void> {
  await appendAudit(ctx.deps.pool, {
    actor: ctx.principal!.personId,
    roles: ctx.principal!.roles,
    action: `GET ${route}`,
    target,
    requestId: ctx.requestId,
    result: 'downloaded',
  });
}
