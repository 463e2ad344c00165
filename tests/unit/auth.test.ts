import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuthenticator } from '../../api/auth';
import { addPerson, disablePerson, hashToken, issueToken, listPeople, revokeToken } from '../../app/people';
import { route, type AnyRoute } from '../../api/route';
import { healthRoute } from '../../api/routes/system';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

const whoAmI = route({
  method: 'get',
  path: '/v1/test/whoami',
  summary: 'who',
  tags: ['test'],
  roles: ['viewer', 'lead'],
  responses: { 200: { description: 'the principal' } },
  async handle({ ctx }) {
    return { status: 200, body: { personId: ctx.principal?.personId, roles: ctx.principal?.roles } };
  },
});
const leadOnly = route({
  method: 'post',
  path: '/v1/test/things/{thingId}',
  summary: 'lead action',
  tags: ['test'],
  roles: ['lead', 'admin'],
  params: z.object({ thingId: z.string() }),
  body: z.object({ reason: z.string() }),
  responses: { 200: { description: 'done' } },
  async handle({ params }) {
    return { status: 200, body: { done: params.thingId } };
  },
});
const routes: AnyRoute[] = [whoAmI, leadOnly, { ...healthRoute, handle: async () => ({ status: 200, body: { status: 'ok' } }) }];

let db: TestDatabase;
let api: TestApi;
beforeAll(async () => {
  db = await freshDatabase('auth');
  api = await startTestApi(testDeps(db.pool), routes);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const get = (path: string, token?: string) => fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('authentication', () => {
  it('refuses a route without a token with 401 unauthenticated', async () => {
    const res = await get('/v1/test/whoami');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="golive"');
    expect(await res.json()).toMatchObject({ error: 'unauthenticated' });
  });

  it('refuses a well-formed but unknown token, and a malformed one', async () => {
    expect((await get('/v1/test/whoami', `glv_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await get('/v1/test/whoami', 'not-a-token')).status).toBe(401);
    const res = await fetch(`${api.url}/v1/test/whoami`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
  });

  it('lets a public route through without a token', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('sets the principal for the handler', async () => {
    const { personId, token } = await personWithToken(db.pool, ['viewer']);
    const res = await get('/v1/test/whoami', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ personId, roles: ['viewer'] });
    const used = await db.pool.query('SELECT last_used_at FROM api_tokens WHERE person_id = $1', [personId]);
    expect(used.rows[0].last_used_at).toBeInstanceOf(Date);
  });

  it('refuses a revoked token, and the tokens of a disabled person', async () => {
    const a = await personWithToken(db.pool, ['viewer']);
    expect((await get('/v1/test/whoami', a.token)).status).toBe(200);
    expect(await revokeToken(db.pool, { tokenId: a.tokenId })).toBe(1);
    expect(await revokeToken(db.pool, { tokenId: a.tokenId })).toBe(0);
    expect((await get('/v1/test/whoami', a.token)).status).toBe(401);

    const b = await personWithToken(db.pool, ['viewer']);
    expect(await disablePerson(db.pool, b.personId)).toBe(true);
    expect((await get('/v1/test/whoami', b.token)).status).toBe(401);
    await expect(issueToken(db.pool, b.personId)).rejects.toThrow(`no enabled person ${b.personId}`);
  });

  it('revokes every token of a person at once', async () => {
    const a = await personWithToken(db.pool, ['viewer']);
    const second = await issueToken(db.pool, a.personId);
    expect(await revokeToken(db.pool, { personId: a.personId })).toBe(2);
    expect((await get('/v1/test/whoami', second.token)).status).toBe(401);
  });
});

describe('roles', () => {
  it('refuses a viewer on a lead route with 403 naming the missing roles', async () => {
    const { token } = await personWithToken(db.pool, ['viewer']);
    const res = await fetch(`${api.url}/v1/test/things/t1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'try' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: 'forbidden',
      message: 'requires one of the roles: lead, admin',
      missingRoles: ['lead', 'admin'],
    });
  });

  it('admits a person holding any one of the roles', async () => {
    const { token } = await personWithToken(db.pool, ['oncall', 'admin']);
    const res = await fetch(`${api.url}/v1/test/things/t2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'fine' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: 't2' });
  });
});

describe('people and tokens', () => {
  it('stores only the sha256 of a token, never the token', async () => {
    const { personId, token } = await personWithToken(db.pool, ['lead']);
    expect(token).toMatch(/^glv_[A-Za-z0-9_-]{43}$/);
    const rows = await db.pool.query('SELECT token_hash FROM api_tokens WHERE person_id = $1', [personId]);
    expect(rows.rows).toEqual([{ token_hash: hashToken(token) }]);
    const dump = await db.pool.query(`SELECT count(*)::int AS n FROM api_tokens t WHERE row_to_json(t)::text LIKE '%' || $1 || '%'`, [
      token.slice(4),
    ]);
    expect(dump.rows[0].n).toBe(0);
  });

  it('adds a person idempotently, updating roles on the second call', async () => {
    expect(await addPerson(db.pool, { id: 'p-upsert-01', displayName: 'Upsert', email: 'u@hospital.test', roles: ['viewer'] })).toEqual({
      created: true,
    });
    expect(
      await addPerson(db.pool, { id: 'p-upsert-01', displayName: 'Upsert', email: 'u@hospital.test', roles: ['lead', 'viewer'] }),
    ).toEqual({ created: false });
    const me = (await listPeople(db.pool)).find((p) => p.id === 'p-upsert-01');
    expect(me).toEqual({ id: 'p-upsert-01', displayName: 'Upsert', roles: ['lead', 'viewer'], disabled: false, activeTokens: 0 });
    await expect(addPerson(db.pool, { id: 'Bad Id', displayName: 'x', email: 'x@hospital.test', roles: ['viewer'] })).rejects.toThrow();
  });

  it('trusts a verified token for the cache time, then asks PostgreSQL again', async () => {
    const authenticate = createAuthenticator(db.pool, 60_000);
    const a = await personWithToken(db.pool, ['viewer']);
    expect((await authenticate(`Bearer ${a.token}`))?.personId).toBe(a.personId);
    await revokeToken(db.pool, { tokenId: a.tokenId });
    expect((await authenticate(`Bearer ${a.token}`))?.personId).toBe(a.personId);
    expect(await createAuthenticator(db.pool, 60_000)(`Bearer ${a.token}`)).toBeUndefined();
  });
});
