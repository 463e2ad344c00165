import { ServiceError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinkRoutes } from '../../api/routes/check-links';
import { findCheckLink, issueCheckToken } from '../../app/check-links';
import { addPerson, disablePerson } from '../../app/people';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';

/**
 * A check-off link while Temporal is down: a quick 503 naming it, and the link is not spent (the
 * person tries again when it is back). A link whose person was disabled checks nothing off.
 */
let db: TestDatabase;
let api: TestApi;
let queries = 0;
const grpcUnavailable = Object.assign(new Error('grpc 14'), { code: 14, details: 'x', metadata: {} });
const temporalDown = {
  workflow: {
    getHandle: () => ({
      query: async () => {
        queries++;
        throw new ServiceError('unavailable', { cause: grpcUnavailable });
      },
    }),
  },
} as unknown as Client;

beforeAll(async () => {
  db = await freshDatabase('checklinks_down');
  api = await startTestApi(testDeps(db.pool, { temporal: temporalDown }), checkLinkRoutes);
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ('cl-p', $1, 'x', 'h', 'cl-lead')`, [
    parsePlan({ ...testPlan(), programId: 'cl-p' }),
  ]);
  for (const id of ['cl-nurse', 'cl-gone'])
    await addPerson(db.pool, { id, displayName: `Staff ${id}`, email: `${id}@hospital.test`, roles: ['viewer'] });
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const link = (personId: string, n: number) =>
  issueCheckToken(db.pool, {
    noticeKey: `runbook:cl-p:night/t1/ready/${personId}/${n}`,
    programId: 'cl-p',
    runId: 'night',
    taskId: 't1',
    personId,
    rehearsal: false,
  });

describe('check-off links with a dependency down', () => {
  it('Temporal down: 503 naming it, at once, and the link stays good', async () => {
    const token = await link('cl-nurse', 1);
    const started = Date.now();
    const read = await api.call('GET', `/v1/check-links/${token}`);
    expect(read.status).toBe(503);
    expect(read.json).toMatchObject({ error: 'dependency_unavailable', dependency: 'temporal' });
    const confirm = await api.call('POST', `/check/${token}`, undefined, {});
    expect(confirm.status).toBe(503);
    expect(confirm.json).toMatchObject({ dependency: 'temporal' });
    expect(confirm.text).not.toContain(token);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(queries).toBeGreaterThan(0);
    expect(await findCheckLink(db.pool, token)).toMatchObject({ usable: true, personId: 'cl-nurse', taskId: 't1' });
  });

  it("a disabled person's link is refused before anything is asked of the run", async () => {
    const token = await link('cl-gone', 1);
    await disablePerson(db.pool, 'cl-gone');
    const before = queries;
    const confirm = await api.call('POST', `/check/${token}`, undefined, {});
    expect(confirm.status).toBe(403);
    expect(queries).toBe(before);
    expect((await api.call('GET', `/v1/check-links/${token}`)).status).toBe(503);
  });
});
