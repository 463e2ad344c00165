import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanInput } from '../../domain/plan';
import { markStepUndoneUpdate, retryDepartmentUpdate, rollBackUpdate, type ProgramStatus } from '../../domain/rollout';
import { dept, lead, programTestBed, type Program, type ProgramTestBed } from '../helpers/program';
import { recordHistory } from '../helpers/temporal';

let bed: ProgramTestBed;
let db: ProgramTestBed['db'];
let raised: ProgramTestBed['raised'];
let p: ProgramTestBed['driver'];

beforeAll(async () => {
  bed = await programTestBed('rollback');
  ({ db, raised, driver: p } = bed);
});
afterAll(() => bed?.close());

const rollBack = (h: Program, body: { departments?: string[]; wave?: number; reason: string }) =>
  h.executeUpdate(rollBackUpdate, { args: [{ actor: lead, ...body }] });
const programId = (h: Program) => h.workflowId.slice('program:'.length);

/** The order in which the simulated systems were asked to undo, and their final state. */
async function systems(h: Program, department: string) {
  const undo = await db.pool.query<{ step_id: string }>(
    `SELECT step_id FROM simulated_system_call WHERE program_id = $1 AND department = $2 AND direction = 'undo' AND applied ORDER BY applied_at`,
    [programId(h), department],
  );
  const state = await db.pool.query<{ step_id: string; state: string }>(
    'SELECT step_id, state FROM simulated_system_step WHERE program_id = $1 AND department = $2 ORDER BY step_id',
    [programId(h), department],
  );
  return { undoOrder: undo.rows.map((r) => r.step_id), state: Object.fromEntries(state.rows.map((r) => [r.step_id, r.state])) };
}

async function pilotLive(edit?: (plan: PlanInput) => void) {
  const h = await p.start(edit);
  await p.passGate(h, 'readiness');
  await p.startWave(h, 1);
  return h;
}
const settled = (code: string, states: string[]) => (s: ProgramStatus) => states.includes(dept(s, code).state);

describe('rollback', () => {
  it("undoes a live department's steps in reverse order", async () => {
    const h = await pilotLive();
    await p.until(h, (s) => s.waves[0]!.status === 'live');
    const [view] = await rollBack(h, { departments: ['LAB'], reason: 'analyzer results delayed' });
    expect(view!.state).toBe('rolling-back');
    const s = await p.until(h, settled('LAB', ['rolled-back']));
    expect(dept(s, 'LAB')).toMatchObject({ state: 'rolled-back', completedSteps: [] });
    expect(dept(s, 'IM-OPD').state).toBe('live-parallel');
    expect(await systems(h, 'LAB')).toEqual({
      undoOrder: ['switch-analyzer-feed', 'route-interfaces', 'grant-access'],
      state: { 'grant-access': 'undone', 'route-interfaces': 'undone', 'switch-analyzer-feed': 'undone' },
    });
    // A rolled-back department can go live again; the history keeps both attempts.
    await h.executeUpdate(retryDepartmentUpdate, { args: [{ actor: lead, department: 'LAB', reason: 'analyzer interface fixed' }] });
    const again = await p.until(h, settled('LAB', ['live-parallel']));
    expect(dept(again, 'LAB').attempt).toBe(2);
    expect(dept(again, 'LAB').history.map((x) => `${x.attempt}:${x.state}`)).toEqual([
      '1:going-live',
      '1:live-parallel',
      '1:rolling-back',
      '1:rolled-back',
      '2:going-live',
      '2:live-parallel',
    ]);
  });

  it('rolls back a half-done go-live from where it stopped', async () => {
    const h = await pilotLive(
      (plan) =>
        (plan.adapters = [
          { id: 'sim', kind: 'simulated', failSteps: [{ department: 'LAB', step: 'switch-analyzer-feed', mode: 'reject' }] },
        ]),
    );
    await p.until(h, (s) => dept(s, 'LAB').failure !== undefined);
    await rollBack(h, { departments: ['LAB'], reason: 'analyzer vendor cannot fix today' });
    await p.until(h, settled('LAB', ['rolled-back']));
    expect((await systems(h, 'LAB')).undoOrder).toEqual(['route-interfaces', 'grant-access']);
  });

  it('stops a go-live that is still running after its current step, then undoes what it did', async () => {
    const h = await pilotLive((plan) => (plan.adapters = [{ id: 'sim', kind: 'simulated', delayMs: 400 }]));
    await p.until(h, (s) => dept(s, 'LAB').state === 'going-live');
    await new Promise((r) => setTimeout(r, 500));
    await rollBack(h, { departments: ['LAB'], reason: 'stop: wrong analyzer mapping loaded' });
    const s = await p.until(h, settled('LAB', ['rolled-back']));
    const { undoOrder, state } = await systems(h, 'LAB');
    // Whatever was applied is undone, in reverse, and nothing more.
    expect(Object.values(state).every((x) => x === 'undone')).toBe(true);
    expect(undoOrder).toEqual(
      Object.keys(state).length === 1 ? ['grant-access'] : ['route-interfaces', 'grant-access'].slice(2 - Object.keys(state).length),
    );
    expect(Object.keys(state).length).toBeLessThan(3);
    expect(dept(s, 'IM-OPD').state).not.toBe('rolling-back');
  });

  it('rolls back a whole wave', async () => {
    const h = await pilotLive();
    await p.until(h, (s) => s.waves[0]!.status === 'live');
    const views = await rollBack(h, { wave: 1, reason: 'pilot stopped by the steering committee' });
    expect(views.map((v) => v.code)).toEqual(['IM-OPD', 'LAB']);
    const s = await p.until(h, (x) => settled('LAB', ['rolled-back'])(x) && settled('IM-OPD', ['rolled-back'])(x));
    expect(s.departments.filter((d) => d.wave === 1).map((d) => d.state)).toEqual(['rolled-back', 'rolled-back']);
  });

  it('rides out a compensation that fails, then succeeds on retry', async () => {
    const h = await pilotLive(
      (plan) =>
        (plan.adapters = [
          {
            id: 'sim',
            kind: 'simulated',
            failCompensations: [{ department: 'LAB', step: 'route-interfaces', mode: 'transient', times: 2 }],
          },
        ]),
    );
    await p.until(h, (s) => s.waves[0]!.status === 'live');
    await rollBack(h, { departments: ['LAB'], reason: 'interface backlog' });
    await p.until(h, settled('LAB', ['rolled-back']));
    const attempts = await db.pool.query(
      `SELECT attempts FROM simulated_system_call WHERE program_id = $1 AND department = 'LAB' AND step_id = 'route-interfaces' AND direction = 'undo'`,
      [programId(h)],
    );
    expect(attempts.rows[0].attempts).toBe(3);
  });

  it('marks a compensation that fails for good rollback-failed; the lead retries, then finishes by hand', async () => {
    const h = await pilotLive(
      (plan) =>
        (plan.adapters = [
          { id: 'sim', kind: 'simulated', failCompensations: [{ department: 'LAB', step: 'route-interfaces', mode: 'reject' }] },
        ]),
    );
    await p.until(h, (s) => s.waves[0]!.status === 'live');
    await rollBack(h, { departments: ['LAB'], reason: 'results misrouted' });
    let s = await p.until(h, settled('LAB', ['rollback-failed']));
    expect(dept(s, 'LAB')).toMatchObject({
      state: 'rollback-failed',
      completedSteps: ['grant-access', 'route-interfaces'],
      rollbackFailure: {
        stepId: 'route-interfaces',
        reason: 'AdapterRejected: interface-engine refused undo route-interfaces',
        remaining: ['grant-access', 'route-interfaces'],
      },
    });
    expect(s.allowedActions).toEqual(expect.arrayContaining(['roll-back:LAB', 'mark-undone:LAB:route-interfaces']));
    // Never a silent warning: an incident goes up the ladder (on-call and lead at level 1, leadership at once).
    await expect
      .poll(() => raised.filter((r) => r.programId === programId(h)).map((r) => [r.condition, r.severity, r.departments]))
      .toEqual([['compensation-failed', 'sev1', ['LAB']]]);

    await rollBack(h, { departments: ['LAB'], reason: 'retry after the interface engine restart' });
    s = await p.until(h, (x) => dept(x, 'LAB').state === 'rollback-failed' && x.departments.length > 0);
    await expect(
      h.executeUpdate(markStepUndoneUpdate, { args: [{ actor: lead, department: 'LAB', stepId: 'grant-access', reason: 'wrong step' }] }),
    ).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    await h.executeUpdate(markStepUndoneUpdate, {
      args: [{ actor: lead, department: 'LAB', stepId: 'route-interfaces', reason: 'routes restored by hand in the engine console' }],
    });
    s = await p.until(h, settled('LAB', ['rolled-back']));
    expect((await systems(h, 'LAB')).state).toMatchObject({
      'grant-access': 'undone',
      'switch-analyzer-feed': 'undone',
      'route-interfaces': 'applied',
    });
    const audit = await db.pool.query(
      `SELECT action, reason FROM audit_log WHERE target->>'programId' = $1 AND action LIKE 'rollback.%' ORDER BY seq`,
      [programId(h)],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['rollback.requested', 'rollback.requested', 'rollback.step-undone-by-hand']);
    await recordHistory(h, 'program-rollback-failed-by-hand');
  });

  it('rolls back on its own when the plan says auto-rollback, and only proposes it by default', async () => {
    const failing = {
      id: 'sim',
      kind: 'simulated' as const,
      failSteps: [{ department: 'LAB', step: 'switch-analyzer-feed', mode: 'reject' as const }],
    };
    const auto = await pilotLive((plan) => {
      plan.adapters = [failing];
      plan.policies = { onFailedStep: 'auto-rollback' };
    });
    await p.until(auto, settled('LAB', ['rolled-back']));
    const ask = await pilotLive((plan) => (plan.adapters = [failing]));
    const s = await p.until(ask, (x) => dept(x, 'LAB').failure !== undefined);
    expect(dept(s, 'LAB').state).toBe('going-live');
    expect(s.allowedActions).toContain('roll-back:LAB');
  });

  it('refuses to roll back a department that never went live', async () => {
    const h = await pilotLive();
    await expect(rollBack(h, { departments: ['ICU'], reason: 'not yet live' })).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: 'nothing to roll back in ICU (legacy)' },
    });
  });
});
