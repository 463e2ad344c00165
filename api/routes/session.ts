import { z } from 'zod';
import { locales } from '../../domain/i18n';
import { roleGroups } from '../../domain/permissions';
import { limitSignIns } from '../abuse';
import { HttpError } from '../errors';
import { route, type AnyRoute } from '../route';
import { clearedSessionCookie, sessionCookie, sessionCookieValue, signIn, signOut, type Session } from '../session';

const { everyone } = roleGroups;

const SessionView = z.object({
  person: z.object({
    personId: z.string(),
    displayName: z.string(),
    roles: z.array(z.string()),
    locale: z.enum(locales).nullable().describe("The language they chose; null: the page's own choice"),
  }),
  timeZone: z.string().describe("The hospital's zone, for times outside a program's pages"),
  csrfToken: z.string().describe('Send it as X-CSRF-Token with every state-changing request made with the session cookie'),
  expiresAt: z.string(),
});

export const signInRoute = route({
  method: 'post',
  path: '/v1/session',
  summary: 'Sign in to the command center: exchange your API token for a session cookie',
  tags: ['session'],
  roles: 'public',
  body: z.object({ token: z.string().min(1).max(200) }),
  responses: { 201: { description: 'Signed in; the cookie is set', schema: SessionView }, 401: { description: 'Not a valid token' } },
  async handle({ body, ctx }) {
    await limitSignIns(ctx.deps, ctx.res, body.token.trim());
    const session = await signIn(ctx.deps.pool, body.token.trim());
    if (!session) throw new HttpError(401, 'unauthenticated', 'this token is not valid (revoked, mistyped, or its person is disabled)');
    // The audit entry of this request names who signed in.
    ctx.res.locals.principal = session.principal;
    const { personId, displayName, roles, locale } = session.principal;
    return {
      status: 201,
      headers: { 'Set-Cookie': sessionCookie(session.cookieValue, session.expiresAt), 'Cache-Control': 'no-store' },
      body: {
        person: { personId, displayName, roles, locale: locale ?? null },
        timeZone: ctx.deps.config.HOSPITAL_TIME_ZONE,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
      },
    };
  },
});

export const getSessionRoute = route({
  method: 'get',
  path: '/v1/session',
  summary: "Who is signed in, and the session's CSRF token",
  tags: ['session'],
  roles: everyone,
  responses: { 200: { description: 'The session', schema: SessionView }, 401: { description: 'Not signed in' } },
  async handle({ ctx }) {
    const { personId, displayName, roles, locale } = ctx.principal!;
    // Set by authorize when the cookie signed the request in; a bearer caller has no session.
    const session = ctx.res.locals.session as Session | undefined;
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: {
        person: { personId, displayName, roles, locale: locale ?? null },
        timeZone: ctx.deps.config.HOSPITAL_TIME_ZONE,
        csrfToken: session?.csrfToken ?? '',
        expiresAt: session?.expiresAt ?? '',
      },
    };
  },
});

export const signOutRoute = route({
  method: 'delete',
  path: '/v1/session',
  summary: 'Sign out: the session ends at once',
  tags: ['session'],
  roles: everyone,
  responses: { 204: { description: 'Signed out' } },
  async handle({ ctx }) {
    const cookie = sessionCookieValue(ctx.req.header('cookie'));
    if (cookie) await signOut(ctx.deps.pool, cookie);
    return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie } };
  },
});

export const sessionRoutes: AnyRoute[] = [signInRoute, getSessionRoute, signOutRoute];
