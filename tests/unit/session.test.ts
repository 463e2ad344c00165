import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { revokeToken } from '../../app/people';
import { route, type AnyRoute } from '../../api/route';
import { sessionRoutes } from '../../api/routes/session';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

const leadAction = route({
  method: 'post',
  path: '/v1/test/actions',
  summary: 'a lead action',
  tags: ['test'],
  roles: ['lead'],
  body: z.object({ reason: z.string() }),
  responses: { 200: { description: 'done' } },
  async handle({ ctx }) {
    return { status: 200, body: { by: ctx.principal?.personId } };
  },
});
const routes: AnyRoute[] = [...sessionRoutes, leadAction];

let db: TestDatabase;
let api: TestApi;
beforeAll(async () => {
  db = await freshDatabase('session');
  api = await startTestApi(testDeps(db.pool), routes);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

async function signIn(token: string) {
  const res = await fetch(`${api.url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const cookie = res.headers.get('set-cookie') ?? '';
  return {
    res,
    cookie: cookie.split(';')[0]!,
    setCookie: cookie,
    body: (await res.json()) as { csrfToken: string; person: { personId: string } },
  };
}

const act = (cookie: string, headers: Record<string, string> = {}) =>
  fetch(`${api.url}/v1/test/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...headers },
    body: JSON.stringify({ reason: 'test' }),
  });

describe('command-center session', () => {
  it('exchanges a token for a secure http-only cookie; changes need the CSRF token; sign-out ends it at once', async () => {
    const lead = await personWithToken(db.pool, ['lead'], 'sess-lead');
    const { res, cookie, setCookie, body } = await signIn(lead.token);
    expect(res.status).toBe(201);
    expect(setCookie).toMatch(/^golive_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Expires=/);
    expect(body.person.personId).toBe('sess-lead');
    // Only a hash of the cookie is stored.
    const stored = await db.pool.query<{ id_hash: string }>('SELECT id_hash FROM ui_session');
    expect(stored.rows.map((r) => r.id_hash)).not.toContain(cookie.split('=')[1]);

    const who = await fetch(`${api.url}/v1/session`, { headers: { cookie } });
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ person: { personId: 'sess-lead' }, csrfToken: body.csrfToken });

    const forged = await act(cookie);
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: 'csrf_failed' });
    expect((await act(cookie, { 'x-csrf-token': 'x'.repeat(32) })).status).toBe(403);
    const ok = await act(cookie, { 'x-csrf-token': body.csrfToken });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ by: 'sess-lead' });

    // Signing out is a change too: without the CSRF token another site cannot sign you out.
    expect((await fetch(`${api.url}/v1/session`, { method: 'DELETE', headers: { cookie } })).status).toBe(403);
    const out = await fetch(`${api.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': body.csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${api.url}/v1/session`, { headers: { cookie } })).status).toBe(401);
    expect((await act(cookie, { 'x-csrf-token': body.csrfToken })).status).toBe(401);
  });

  it('refuses a bad token without a cookie, keeps roles, and ends sessions when their token is revoked', async () => {
    const bad = await signIn('glv_' + 'A'.repeat(43));
    expect(bad.res.status).toBe(401);
    expect(bad.setCookie).toBe('');

    const viewer = await personWithToken(db.pool, ['viewer'], 'sess-viewer');
    const v = await signIn(viewer.token);
    const refused = await act(v.cookie, { 'x-csrf-token': v.body.csrfToken });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'forbidden' });

    await revokeToken(db.pool, { personId: 'sess-viewer' });
    expect((await fetch(`${api.url}/v1/session`, { headers: { cookie: v.cookie } })).status).toBe(401);
  });

  it('a bearer token still works beside the cookie, without CSRF (no ambient credential to forge)', async () => {
    const lead = await personWithToken(db.pool, ['lead'], 'sess-lead-2');
    const res = await fetch(`${api.url}/v1/test/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${lead.token}` },
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(res.status).toBe(200);
  });
});
