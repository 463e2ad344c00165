/**
 * GET /v1/people/names: the pages show people by name. Any signed-in role may ask; ids are
 * checked (a 400 names the field and the rule); unknown ids are absent; a disabled person keeps
 * the name the history knew.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPerson, disablePerson, displayNames } from '../../app/people';
import { peopleRoutes } from '../../api/routes/people';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

let db: TestDatabase;
let api: TestApi;
let viewer: { personId: string; token: string };
beforeAll(async () => {
  db = await freshDatabase('names');
  api = await startTestApi(testDeps(db.pool), peopleRoutes);
  viewer = await personWithToken(db.pool, ['viewer'], 'names-viewer', 'Viewer Vee');
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const names = (ids: string, token = viewer.token) => api.call('GET', `/v1/people/names?ids=${encodeURIComponent(ids)}`, token);

describe('people by name', () => {
  it('answers any signed-in role with the names of the ids that exist; unknown ids are absent', async () => {
    const lead = await personWithToken(db.pool, ['lead'], 'names-lead', 'Lead Lin');
    const oncall = await personWithToken(db.pool, ['oncall'], 'names-oncall', 'On-call Ong');
    for (const who of [viewer, lead, oncall]) {
      const res = await names('names-lead,names-oncall,names-nobody', who.token);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ names: { 'names-lead': 'Lead Lin', 'names-oncall': 'On-call Ong' } });
    }
    // The same id twice is one look-up and one answer.
    expect((await names('names-lead,names-lead')).json).toEqual({ names: { 'names-lead': 'Lead Lin' } });
    expect((await names('names-nobody')).json).toEqual({ names: {} });
  });

  it('refuses a caller without a valid token (401), whatever the ids', async () => {
    expect((await api.call('GET', '/v1/people/names?ids=names-viewer')).status).toBe(401);
    expect((await names('names-viewer', 'glv_not-a-token')).status).toBe(401);
    expect((await api.call('GET', '/v1/people/names?ids=NOT%20AN%20ID')).status).toBe(401);
  });

  it('a bad id, an empty list or too many ids is a 400 naming query.ids and the rule', async () => {
    const cases = [
      'names-viewer,Bad Id',
      '',
      'names-viewer,,names-lead',
      'names-viewer,',
      'a',
      Array.from({ length: 201 }, (_, i) => `p-${i}`).join(','),
    ];
    for (const ids of cases) {
      const res = await names(ids);
      expect(res.status, ids).toBe(400);
      expect(res.json.error).toBe('validation_failed');
      expect(res.json.issues).toEqual([expect.objectContaining({ path: 'query.ids', rule: 'invalid_format' })]);
      expect(res.json.issues[0].message).toMatch(/1 to 200 person ids/);
      expect(res.text).not.toMatch(/ at .*\.ts/);
    }
    // 200 ids is the limit, not past it.
    expect((await names(Array.from({ length: 200 }, (_, i) => `p-${i}`).join(','))).status).toBe(200);
    // No ids parameter at all, or given twice (an array), is refused the same way.
    const missing = await api.call('GET', '/v1/people/names', viewer.token);
    expect(missing.status).toBe(400);
    expect(missing.json.issues[0].path).toBe('query.ids');
    const twice = await api.call('GET', '/v1/people/names?ids=names-viewer&ids=names-lead', viewer.token);
    expect(twice.status).toBe(400);
    expect(twice.json.issues[0].path).toBe('query.ids');
  });

  it('odd Unicode names come back byte for byte; a disabled person keeps their name', async () => {
    const odd = ['张伟 (信息科)', 'Zoë O’Brien-Núñez', '👩‍⚕️ Dr. Ａ', 'محمد', 'e\u0301 combining', '<b>not html</b> & "quotes"'];
    const ids = odd.map((_, i) => `names-odd-${i}`);
    for (const [i, displayName] of odd.entries()) {
      await addPerson(db.pool, { id: ids[i]!, displayName, email: `odd${i}@hospital.test`, roles: ['viewer'] });
    }
    await disablePerson(db.pool, ids[0]!);
    const res = await names(ids.join(','));
    expect(res.status).toBe(200);
    expect(res.json.names).toEqual(Object.fromEntries(ids.map((id, i) => [id, odd[i]])));
    expect(res.headers.get('content-type')).toMatch(/charset=utf-8/);
    expect(await displayNames(db.pool, [])).toEqual({});
  });
});
