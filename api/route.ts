import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Principal, Role } from '../domain/people';
import type { Deps } from './deps';
import { HttpError, ValidationError, zodIssues, type FieldIssue } from './errors';
import { parseOptions, requestLocale } from './locale';
import type { Locale } from '../domain/i18n';

export interface RequestContext {
  requestId: string;
  req: Request;
  res: Response;
  deps: Deps;
  /** Set on every route that is not 'public'. */
  principal?: Principal;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Schema = z.ZodType;
type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteDef<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: /v1/programs/{programId} */
  path: string;
  summary: string;
  tags: string[];
  /** Who may call it: any of these roles, or 'public'. A 403 names the roles that were missing. */
  roles: readonly Role[] | 'public';
  body?: B;
  /** What the OpenAPI document shows for the body when `body` is looser and the handler validates (a plan). */
  documentedBody?: Schema;
  params?: P;
  query?: Q;
  /**
   * The handler's effect is itself deduplicated by the Idempotency-Key (a program Update, whose
   * id is the key): a duplicate whose first request still holds the key (or died holding it, with
   * its process) runs again and lands on the same effect, instead of a 409 until the claim is
   * abandoned.
   */
  keyedByIdempotencyKey?: boolean;
  /**
   * A GET of state many pages poll: a 200's JSON body goes out with a strong ETag (a hash of the
   * body), and a request whose If-None-Match holds it gets 304 without the body.
   */
  etag?: boolean;
  responses: Record<number, { description: string; schema?: Schema; contentType?: string }>;
  handle(input: { body: Infer<B>; params: Infer<P>; query: Infer<Q>; ctx: RequestContext }): Promise<Reply>;
}

// Route definitions are heterogeneous; the registry keeps them behind this erased type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any>;

/** Typed route definition: one object gives express its handler and OpenAPI its path. */
export function route<
  B extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(def: RouteDef<B, P, Q>): RouteDef<B, P, Q> {
  return def;
}

/** PostgreSQL's `integer`, the widest column a path or query number lands in (emergency numbers, waves ...). */
export const PG_INT_MAX = 2_147_483_647;

/**
 * A whole number from a path or query string, within [min, max]: one past PostgreSQL's integer
 * (or JavaScript's exact integers, for bigint columns) is a 400 naming the parameter, not a
 * driver error.
 */
export const intParam = (min = 1, max = PG_INT_MAX) => z.coerce.number().int().min(min).max(max);

export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

function parsePart(schema: Schema | undefined, value: unknown, prefix: string, issues: FieldIssue[], locale: Locale): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value ?? {}, parseOptions(locale));
  if (parsed.success) return parsed.data;
  issues.push(...zodIssues(parsed.error, prefix));
  return undefined;
}

export function toHandler(def: AnyRoute, deps: Deps): RequestHandler {
  return async (req, res, next) => {
    try {
      // `authorize` (api/auth.ts) ran before us in createApp; this keeps a handler mounted any other way closed.
      const principal = res.locals.principal as Principal | undefined;
      if (def.roles !== 'public' && !principal) throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
      const issues: FieldIssue[] = [];
      const locale = requestLocale(req, res);
      const params = parsePart(def.params, req.params, 'params', issues, locale);
      const query = parsePart(def.query, req.query, 'query', issues, locale);
      if (def.body && req.body === undefined && !req.is('application/json')) {
        throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
      }
      const body = parsePart(def.body, req.body, 'body', issues, locale);
      if (issues.length) throw new ValidationError(issues);
      for (const act of actHooksOf.get(res) ?? []) await act();
      const reply = await def.handle({
        body,
        params,
        query,
        ctx: { requestId: res.locals.requestId as string, req, res, deps, principal },
      });
      if (res.headersSent) return;
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      if (reply.body === undefined) res.status(reply.status).end();
      else if (def.etag && reply.status === 200) sendTagged(req.header('if-none-match'), res, reply.body);
      else res.status(reply.status).json(reply.body);
    } catch (err) {
      next(err);
    }
  };
}

// Bodies served from the live-read cache are the same object for every reader within its bound:
// serialised and hashed once, not once per request.
const taggedOf = new WeakMap<object, { text: string; etag: string }>();

export function tagged(body: unknown): { text: string; etag: string } {
  const known = typeof body === 'object' && body !== null ? taggedOf.get(body) : undefined;
  if (known) return known;
  const text = JSON.stringify(body);
  const made = { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` };
  if (typeof body === 'object' && body !== null) taggedOf.set(body, made);
  return made;
}

/** Whether If-None-Match names this tag (a list, `*`, or weak forms: RFC 9110 compares them weakly). */
export function matchesTag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

function sendTagged(ifNoneMatch: string | undefined, res: Response, body: unknown): void {
  const { text, etag } = tagged(body);
  res.setHeader('ETag', etag);
  if (matchesTag(ifNoneMatch, etag)) {
    res.status(304).end();
    return;
  }
  res.status(200).type('application/json; charset=utf-8').send(text);
}

export interface Outcome {
  status: number;
  /** The body as sent (undefined when there is none). */
  body: Buffer | undefined;
}
/** What a hook may put in place of an answer that must not go out (a 2xx whose audit entry failed). */
export interface Replacement {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}
type SendHook = (outcome: Outcome) => Promise<void | Replacement>;
const hooksOf = new WeakMap<Response, SendHook[]>();
const actHooksOf = new WeakMap<Response, (() => Promise<void>)[]>();
// Headers that belong to the answer being replaced, not to an error.
const droppedOnReplace = ['set-cookie', 'location', 'content-disposition', 'idempotent-replayed', 'etag'];

/**
 * Runs `hook` after the request passed authorisation and validation, just before the handler
 * acts; a hook that throws stops the request there (its error is the answer).
 */
export function beforeHandle(res: Response, hook: () => Promise<void>): void {
  const hooks = actHooksOf.get(res);
  if (hooks) hooks.push(hook);
  else actHooksOf.set(res, [hook]);
}

/**
 * Runs `hook` with the final status and body just before the response leaves, however it was
 * produced (handler, error handler, body parser): what the client sees is then already
 * recorded (audit, idempotency). Hooks run in order and log their own failures. A hook may
 * return a replacement (while no header has left yet): later hooks and the client see that.
 */
export function beforeSend(res: Response, hook: SendHook): void {
  const hooks = hooksOf.get(res);
  if (hooks) {
    hooks.push(hook);
    return;
  }
  const all = [hook];
  hooksOf.set(res, all);
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    const [chunk, encoding] = args;
    const body = Buffer.isBuffer(chunk)
      ? chunk
      : typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : undefined;
    let outcome: Outcome = { status: res.statusCode, body };
    let sent = args;
    void (async () => {
      for (const h of all) {
        const replacement = await h(outcome).catch(() => undefined);
        if (!replacement || res.headersSent) continue;
        const text = JSON.stringify({ ...replacement.body, requestId: res.locals.requestId as string });
        for (const name of droppedOnReplace) res.removeHeader(name);
        res.statusCode = replacement.status;
        for (const [k, v] of Object.entries(replacement.headers ?? {})) res.setHeader(k, v);
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(text));
        outcome = { status: replacement.status, body: Buffer.from(text) };
        sent = [text, 'utf8'];
      }
    })().finally(() => end(...sent));
    return res;
  }) as Response['end'];
}
