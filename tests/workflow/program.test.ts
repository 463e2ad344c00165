import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanInput } from '../../domain/plan';
import {
  completeUpdate,
  recordEvidenceUpdate,
  resumeProgramUpdate,
  retryDepartmentUpdate,
  verifyMigrationUpdate,
  type Actor,
  type ProgramStatus,
} from '../../domain/rollout';
import type { GateKey } from '../../domain/rules/gates';
import { verifyAuditChain } from '../../platform/audit';
import {
  atHospitalMorning,
  cmo,
  DAY,
  itdir,
  lead,
  programTestBed,
  testDomain,
  vp,
  type Program,
  type ProgramTestBed,
} from '../helpers/program';
import { recordHistory, skipTime } from '../helpers/temporal';

let bed: ProgramTestBed;
let env: ProgramTestBed['env'];
let db: ProgramTestBed['db'];
let raised: ProgramTestBed['raised'];
let nights: ProgramTestBed['nights'];
let driver: ProgramTestBed['driver'];

beforeAll(async () => {
  bed = await programTestBed('program');
  ({ env, db, raised, nights, driver } = bed);
});
afterAll(() => bed?.close());

const startProgram = (edit?: (p: PlanInput) => void) => driver.start(edit);
const fullEvidence = (h: Program) => driver.fullEvidence(h);
const request = (h: Program, gate: GateKey) => driver.request(h, gate);
const decide: ProgramTestBed['driver']['decide'] = (...args) => driver.decide(...args);
const startWave = (h: Program, wave: number) => driver.startWave(h, wave);
const status = (h: Program) => driver.status(h);
const until = (h: Program, p: (s: ProgramStatus) => boolean) => driver.until(h, p);
const passGate = (h: Program, gate: GateKey, approvers?: Actor[]) => driver.passGate(h, gate, approvers);
const waveLive = (n: number) => (s: ProgramStatus) => s.waves[n - 1]!.status === 'live';

describe('program workflow: phased rollout', () => {
  it('drives 10 departments in 3 waves from readiness to completed', async () => {
    const handle = await startProgram();
    expect((await status(handle)).phase).toBe('readiness');
    await passGate(handle, 'readiness');
    expect((await status(handle)).gates.find((g) => g.gate === 'readiness')!.status).toBe('go');

    for (const [wave, days] of [
      [1, 14],
      [2, 7],
      [3, 7],
    ] as const) {
      const view = await startWave(handle, wave);
      expect(view.status).toBe('going-live');
      const s = await until(handle, waveLive(wave));
      expect(s.phase).toBe('wave-active');
      expect(s.activeWave).toBe(wave);
      await skipTime(env, days * DAY);
      await passGate(handle, `exit-${wave}`);
    }
    // The parallel run lasts 14 days after the last wave went live; 7 have passed.
    await expect(request(handle, 'final')).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    await skipTime(env, 7 * DAY);
    await passGate(handle, 'final', [vp, itdir, cmo]);
    await handle.executeUpdate(completeUpdate, { args: [{ actor: lead }] });
    const result = await handle.result();
    expect(result.phase).toBe('completed');
    expect(result.departments).toHaveLength(10);
    expect(result.departments.every((d) => d.state === 'cut-over')).toBe(true);
    expect(result.departments.find((d) => d.code === 'LAB')!.completedSteps).toEqual([
      'grant-access',
      'route-interfaces',
      'switch-analyzer-feed',
    ]);
    expect(result.gates.map((g) => `${g.gate}:${g.status}`)).toEqual(['readiness:go', 'exit-1:go', 'exit-2:go', 'exit-3:go', 'final:go']);
    expect(result.gates.every((g) => g.decisions.every((d) => /^[0-9a-f]{64}$/.test(d.evidenceHash)))).toBe(true);

    const audit = await db.pool.query<{ action: string; n: string }>(
      `SELECT action, count(*) AS n FROM audit_log WHERE target->>'programId' = $1 GROUP BY action`,
      [handle.workflowId.slice('program:'.length)],
    );
    const counts = Object.fromEntries(audit.rows.map((r) => [r.action, Number(r.n)]));
    expect(counts).toMatchObject({
      'program.started': 1,
      'gate.opened': 5,
      'gate.decided': 11,
      'gate.closed': 5,
      'wave.started': 3,
      'wave.live': 3,
      'department.live': 10,
      'program.completed': 1,
    });
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
    const decisions = await db.pool.query('SELECT count(*)::int AS n FROM gate_decision WHERE program_id = $1', [
      handle.workflowId.slice(8),
    ]);
    expect(decisions.rows[0].n).toBe(11);
    await recordHistory(handle, 'program-happy-path');
  });

  it('runs the parallel run from the pilot on; a critical night pauses per policy; clean nights open the final gate', async () => {
    await atHospitalMorning(env);
    const handle = await startProgram((p) => {
      for (const w of p.waves) w.minimumDuration = 'PT1H';
      p.parallelRun = { minimumDays: 14, exitCleanNights: 3, domains: [testDomain('charges', 'pause'), testDomain('orders')] };
    });
    let criticalDay = '';
    nights.differingKeys = (day, domain) => (domain === 'charges' && day === criticalDay ? 120 : 0);
    await passGate(handle, 'readiness');
    await startWave(handle, 1);
    // The parallel run starts with the pilot.
    let s = await until(handle, (x) => waveLive(1)(x) && x.parallelRun.started);
    // The second whole business day (Asia/Shanghai, UTC+8) after the pilot went live is critical in charges.
    const live = new Date(s.waves[0]!.wentLiveAt!).getTime();
    criticalDay = new Date(live + 8 * 3_600_000 + 2 * DAY).toISOString().slice(0, 10);
    await skipTime(env, 3 * DAY);
    s = await until(handle, (x) => x.phase === 'paused');
    expect(s.pausedReason).toBe(`critical comparison night ${criticalDay} in charges`);
    expect(s.parallelRun.critical).toEqual([{ domain: 'charges', onCritical: 'pause' }]);
    await expect
      .poll(() => raised.filter((r) => `program:${r.programId}` === handle.workflowId).map((r) => r.condition))
      .toContain('comparison-critical');
    await expect(startWave(handle, 2)).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    await handle.executeUpdate(resumeProgramUpdate, { args: [{ actor: lead, reason: 'charge interface fixed, night re-compared' }] });
    expect((await status(handle)).phase).toBe('wave-active');

    for (const wave of [1, 2]) {
      await passGate(handle, `exit-${wave}`);
      await startWave(handle, wave + 1);
      await until(handle, waveLive(wave + 1));
      await skipTime(env, 2 * 3_600_000);
    }
    await passGate(handle, 'exit-3');
    s = await status(handle);
    expect(s.parallelRun.finalGateBlockers[0]).toMatch(/^the parallel run lasts until /);
    await expect(request(handle, 'final')).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    await skipTime(env, 15 * DAY);
    s = await until(handle, (x) => x.parallelRun.finalGateBlockers.length === 0);
    expect(s.parallelRun.cleanStreak.charges).toBeGreaterThanOrEqual(14);
    // Gate evidence: the trend per domain and the nights each wave's exit gate saw.
    expect(s.parallelRun.trend.find((t) => t.domain === 'charges')).toMatchObject({
      critical: 1,
      warning: 0,
      maxMismatchRate: 0.12,
      latestMismatchRate: 0,
    });
    expect(s.parallelRun.nightsSinceWaveLive.map((w) => w.wave)).toEqual([1, 2, 3]);
    expect(s.parallelRun.nightsSinceWaveLive[0]!.critical).toBe(1);
    expect(s.parallelRun.nightsCompared).toBeGreaterThanOrEqual(15);
    await passGate(handle, 'final', [vp, itdir, cmo]);
    await handle.executeUpdate(completeUpdate, { args: [{ actor: lead }] });
    expect((await handle.result()).phase).toBe('completed');
    await recordHistory(handle, 'program-critical-night-pause');
  });

  it('computes "migration verified" from a whole-history comparison instead of taking it typed in', async () => {
    const handle = await startProgram((p) => (p.parallelRun = { domains: [testDomain('charges'), testDomain('orders')] }));
    nights.differingKeys = (day, domain) => (day === 'history' && domain === 'orders' ? 3 : 0);
    await handle.executeUpdate(recordEvidenceUpdate, { args: [{ actor: lead, evidence: { migration: { verified: true } } }] });
    const first = await handle.executeUpdate(verifyMigrationUpdate, { args: [{ actor: lead }] });
    expect(first).toEqual({ n: 1, workflowId: `verify-migration:${handle.workflowId.slice(8)}:1` });
    // Three differing keys in orders: the typed-in "verified" is replaced by the computed "not verified".
    let s = await until(handle, (x) => x.gates[0]!.criteria.find((c) => c.id === 'migration-verified')!.verdict === 'fail');
    nights.differingKeys = () => 0;
    await handle.executeUpdate(verifyMigrationUpdate, { args: [{ actor: lead }] });
    s = await until(handle, (x) => x.gates[0]!.criteria.find((c) => c.id === 'migration-verified')!.verdict === 'pass');
    expect(s.gates[0]!.criteria.find((c) => c.id === 'migration-verified')!.value).toBe(true);
    const audit = await db.pool.query(
      `SELECT result, details FROM audit_log WHERE target->>'programId' = $1 AND action = 'migration.verified' ORDER BY seq`,
      [handle.workflowId.slice(8)],
    );
    expect(audit.rows.map((r) => [r.result, r.details.differingKeys, r.details.rowsCompared])).toEqual([
      ['differences', 3, 40_000],
      ['verified', 0, 40_000],
    ]);
  });

  it('answers a no-go with the reasons, and lets the gate be requested again', async () => {
    const handle = await startProgram();
    await fullEvidence(handle);
    await request(handle, 'readiness');
    const view = await decide(handle, 'readiness', vp, 'no-go', { comment: 'ICU training incomplete' });
    expect(view).toMatchObject({ status: 'no-go', round: 1, noGoReasons: ['p-vp-01: ICU training incomplete'] });
    const s = await status(handle);
    expect(s.phase).toBe('readiness');
    expect(s.allowedActions).toContain('request-gate:readiness');
    await expect(startWave(handle, 1)).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: expect.stringContaining('gate readiness has not said go') },
    });

    const again = await request(handle, 'readiness');
    expect(again).toMatchObject({ status: 'open', round: 2, decisions: [] });
    await decide(handle, 'readiness', vp, 'go');
    expect((await decide(handle, 'readiness', itdir, 'go')).status).toBe('go');
  });

  it('applies a quorum, and a single no-go vetoes it', async () => {
    const handle = await startProgram();
    await fullEvidence(handle);
    await request(handle, 'readiness');
    expect((await decide(handle, 'readiness', vp, 'go')).status).toBe('open');
    const vetoed = await decide(handle, 'readiness', cmo, 'no-go', { comment: 'veto' });
    expect(vetoed.status).toBe('no-go');
    // The gate is closed now: a late decision is rejected with the reason.
    await expect(decide(handle, 'readiness', itdir, 'go')).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: 'rejected: the gate is closed (readiness: no-go)' },
    });
  });

  it('rejects a decision by someone who is not an approver', async () => {
    const handle = await startProgram();
    await fullEvidence(handle);
    await request(handle, 'readiness');
    await expect(decide(handle, 'readiness', { personId: 'p-lead-01', roles: ['lead', 'leadership'] }, 'go')).rejects.toMatchObject({
      cause: { type: 'NotAllowed', message: 'rejected: p-lead-01 is not an approver of gate readiness' },
    });
    expect((await status(handle)).gates[0]!.decisions).toEqual([]);
  });

  it('treats a repeated identical decision as one, and records a changed mind as a change', async () => {
    const handle = await startProgram((p) => (p.gates.readiness.rule = { kind: 'all' }));
    await fullEvidence(handle);
    await request(handle, 'readiness');
    await decide(handle, 'readiness', vp, 'go', { comment: 'ready' });
    const repeat = await decide(handle, 'readiness', vp, 'go', { comment: 'ready' });
    expect(repeat.decisions).toHaveLength(1);
    const changed = await decide(handle, 'readiness', vp, 'no-go', { comment: 'backup failed overnight' });
    expect(changed.status).toBe('no-go');
    expect(changed.decisions.map((d) => [d.decision, d.changedFrom])).toEqual([
      ['go', undefined],
      ['no-go', 'go'],
    ]);
  });

  it('refuses go while a criterion fails, and accepts it with an override and its reason', async () => {
    const handle = await startProgram();
    await handle.executeUpdate(recordEvidenceUpdate, {
      args: [
        {
          actor: lead,
          evidence: {
            uat: { severeTotal: 10, severeFixed: 9, ordinaryTotal: 100, ordinaryFixed: 95 },
            backup: { takenAt: new Date(await env.currentTimeMs()).toISOString() },
            migration: { verified: true },
          },
        },
      ],
    });
    const opened = await request(handle, 'readiness');
    expect(Object.fromEntries(opened.criteria.map((c) => [c.id, c.verdict]))).toEqual({
      'uat-severe-fixed': 'fail',
      'uat-ordinary-fixed': 'pass',
      'training-pass-rate': 'missing',
      'backup-age': 'pass',
      'migration-verified': 'pass',
    });
    await expect(decide(handle, 'readiness', vp, 'go')).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: expect.stringContaining('override') },
    });
    const accepted = await decide(handle, 'readiness', vp, 'go', { override: { reason: 'last severe defect has a tested workaround' } });
    expect(accepted.decisions[0]).toMatchObject({
      approverId: 'p-vp-01',
      decision: 'go',
      overrideReason: 'last severe defect has a tested workaround',
    });
    const stored = await db.pool.query('SELECT override_reason, evidence FROM gate_decision WHERE program_id = $1', [
      handle.workflowId.slice(8),
    ]);
    expect(stored.rows[0].override_reason).toBe('last severe defect has a tested workaround');
    expect(stored.rows[0].evidence.criteria.find((c: { id: string }) => c.id === 'uat-severe-fixed').verdict).toBe('fail');
  });

  it('marks a gate overdue past its deadline and never decides it by itself', async () => {
    const handle = await startProgram((p) => (p.gates.readiness.decisionDeadline = 'PT4H'));
    await fullEvidence(handle);
    await request(handle, 'readiness');
    await decide(handle, 'readiness', vp, 'go');
    await skipTime(env, 4 * 3_600_000 + 60_000);
    const gate = (await until(handle, (x) => x.gates[0]!.overdue)).gates.find((g) => g.gate === 'readiness')!;
    expect(gate).toMatchObject({ status: 'open', overdue: true });
    await expect
      .poll(() => raised.filter((r) => `program:${r.programId}` === handle.workflowId).map((r) => r.condition))
      .toEqual(['gate-overdue']);
    await skipTime(env, 3 * DAY);
    expect((await status(handle)).gates.find((g) => g.gate === 'readiness')!.status).toBe('open');
    expect((await decide(handle, 'readiness', itdir, 'go')).status).toBe('go');
  });

  it('refuses to start a wave inside a blackout and names the next allowed start', async () => {
    const nowMs = await env.currentTimeMs();
    const local = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Shanghai' }).toFormat("yyyy-MM-dd'T'HH:mm");
    const handle = await startProgram(
      (p) => (p.waves[0]!.blackouts = [{ from: local(nowMs - 3_600_000), to: local(nowMs + 2 * DAY), reason: 'month-end billing' }]),
    );
    await passGate(handle, 'readiness');
    await expect(startWave(handle, 1)).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: expect.stringMatching(/in-blackout; next allowed start 20\d\d-/) },
    });
    await skipTime(env, 2 * DAY + 60_000);
    await passGate(handle, 'readiness').catch(() => undefined);
    expect((await startWave(handle, 1)).status).toBe('going-live');
  });

  it('refuses the exit gate before the wave has run its minimum', async () => {
    const handle = await startProgram();
    await passGate(handle, 'readiness');
    await startWave(handle, 1);
    await until(handle, waveLive(1));
    await skipTime(env, 13 * DAY);
    await fullEvidence(handle);
    await expect(request(handle, 'exit-1')).rejects.toMatchObject({
      cause: { type: 'InvalidState', message: expect.stringContaining('wave 1 must run until') },
    });
    await skipTime(env, DAY);
    expect((await request(handle, 'exit-1')).status).toBe('open');
  });

  it('stops only the department whose step failed; the others go live; the lead can retry', async () => {
    const handle = await startProgram((p) => {
      p.adapters = [{ id: 'sim', kind: 'simulated', failSteps: [{ department: 'LAB', step: 'switch-analyzer-feed', mode: 'reject' }] }];
    });
    await passGate(handle, 'readiness');
    await startWave(handle, 1);
    const s = await until(
      handle,
      (x) =>
        x.departments.find((d) => d.code === 'LAB')!.failure !== undefined &&
        x.departments.find((d) => d.code === 'IM-OPD')!.state === 'live-parallel',
    );
    const lab = s.departments.find((d) => d.code === 'LAB')!;
    expect(lab).toMatchObject({
      state: 'going-live',
      attempt: 1,
      completedSteps: ['grant-access', 'route-interfaces'],
      failure: { stepId: 'switch-analyzer-feed', reason: 'AdapterRejected: LIS refused do switch-analyzer-feed' },
    });
    expect(s.waves[0]!.status).toBe('going-live');
    expect(s.allowedActions).toContain('retry-department:LAB');
    await expect
      .poll(() =>
        raised.filter((r) => `program:${r.programId}` === handle.workflowId).map((r) => [r.condition, r.severity, r.departments, r.counts]),
      )
      .toEqual([['step-failed', 'sev2', ['LAB'], { failedSteps: 1, attempts: 1 }]]);
    const steps = await db.pool.query(
      'SELECT department, step_id, state FROM simulated_system_step WHERE program_id = $1 ORDER BY department, step_id',
      [handle.workflowId.slice(8)],
    );
    expect(steps.rows.filter((r) => r.department === 'LAB').map((r) => r.step_id)).toEqual(['grant-access', 'route-interfaces']);

    // The retry skips what attempt 1 completed; the adapter still refuses, so it fails again at the same step.
    const retried = await handle.executeUpdate(retryDepartmentUpdate, {
      args: [{ actor: lead, department: 'LAB', reason: 'vendor restarted the analyzer gateway' }],
    });
    expect(retried).toMatchObject({ state: 'going-live', attempt: 2 });
    const again = await until(
      handle,
      (x) =>
        x.departments.find((d) => d.code === 'LAB')!.attempt === 2 && x.departments.find((d) => d.code === 'LAB')!.failure !== undefined,
    );
    expect(again.departments.find((d) => d.code === 'IM-OPD')!.state).toBe('live-parallel');
    await recordHistory(handle, 'program-failed-step-retry');
  });
});
