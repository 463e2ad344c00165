import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { getPolicy, putPolicy } from '../../app/incidents';
import { freshDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('policy');
});
afterAll(() => db?.close());

describe("a program's escalation policy", () => {
  it("is the plan's ladder in the hospital's zone until one is set through the API, which then wins", async () => {
    expect(await getPolicy(db.pool, 'test-program')).toBeNull();
    const plan = parsePlan(testPlan());
    await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'p-lead-01')`, [
      plan.programId,
      plan,
    ]);
    const fromPlan = await getPolicy(db.pool, plan.programId);
    expect(fromPlan).toMatchObject({
      timeZone: 'Asia/Shanghai',
      levels: [{ people: ['p-oncall-01', 'p-lead-01'] }, { people: ['p-itdir-01'] }],
      leadership: ['p-vp-01', 'p-cmo-01'],
    });
    await putPolicy(db.pool, plan.programId, { ...fromPlan!, levels: [{ people: ['p-oncall-02'], ackTimeoutMinutes: 5 }] }, 'p-lead-01');
    expect((await getPolicy(db.pool, plan.programId))!.levels).toEqual([{ people: ['p-oncall-02'], ackTimeoutMinutes: 5 }]);
  });
});
