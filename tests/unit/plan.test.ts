/** The plan schema on valid plans: the demo plans parse, the defaults are filled in by place, issues name path and rule. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CutoverPlan, DEFAULT_READINESS_CRITERIA, durationMs, parsePlan, planIssues } from '../../domain/plan';
import { demoPlan, testPlan } from '../../domain/demo-plans';

describe('demo plans', () => {
  it('testPlan is valid: 10 departments in 3 waves, pilot IM-OPD + LAB, Asia/Shanghai', () => {
    const plan = parsePlan(testPlan());
    expect(plan.departments).toHaveLength(10);
    expect(plan.waves.map((w) => w.departments.length)).toEqual([2, 4, 4]);
    expect(plan.waves[0]!.departments).toEqual(['IM-OPD', 'LAB']);
    expect(plan.hospital.timeZone).toBe('Asia/Shanghai');
    expect(plan.gates.readiness.rule).toEqual({ kind: 'quorum', required: 2 });
    expect(plan.gates.readiness.approvers.map((a) => a.personId)).toEqual(['p-vp-01', 'p-itdir-01', 'p-cmo-01']);
    expect(plan.waves.every((w) => w.startWindows.length === 0)).toBe(true);
    for (const d of plan.departments) {
      expect(d.steps.length).toBeGreaterThanOrEqual(2);
      expect(d.steps.length).toBeLessThanOrEqual(3);
      expect(d.steps.every((s) => s.compensation.action.length > 0)).toBe(true);
    }
  });

  it('demoPlan is valid: at least 20 departments in 4 waves with minute-long overrides', () => {
    const plan = parsePlan(demoPlan());
    expect(plan.departments.length).toBeGreaterThanOrEqual(20);
    expect(plan.waves).toHaveLength(4);
    expect(plan.waves.map((w) => w.minimumDuration)).toEqual(['PT3M', 'PT2M', 'PT2M', 'PT2M']);
    expect(plan.parallelRun.minimumDuration).toBe('PT10M');
    const total = plan.waves.reduce((ms, w) => ms + durationMs(w.minimumDuration!), 0) + durationMs(plan.parallelRun.minimumDuration!);
    expect(total).toBe(19 * 60_000);
  });

  it('a parsed plan is a valid input and parses to itself', () => {
    for (const input of [testPlan(), demoPlan()]) {
      const once = parsePlan(input);
      expect(parsePlan(JSON.parse(JSON.stringify(once)))).toEqual(once);
    }
  });

  it('returns a fresh object on every call', () => {
    const a = testPlan();
    a.waves[0]!.departments.push('ICU');
    expect(testPlan().waves[0]!.departments).toEqual(['IM-OPD', 'LAB']);
  });
});

describe('defaults', () => {
  const plan = parsePlan(testPlan());

  it('gives the pilot 14 days and later waves 7 before their exit gates', () => {
    expect(plan.waves.map((w) => w.minimumDays)).toEqual([14, 7, 7]);
  });

  it('gives the readiness gate the practitioners criteria: 100% severe, 95% ordinary, 95% training, 24 h backup, migration verified', () => {
    expect(plan.gates.readiness.criteria).toEqual([
      { id: 'uat-severe-fixed', minPercent: 100 },
      { id: 'uat-ordinary-fixed', minPercent: 95 },
      { id: 'training-pass-rate', minPercent: 95 },
      { id: 'backup-age', maxHours: 24 },
      { id: 'migration-verified' },
    ]);
    expect(plan.gates.readiness.criteria).toEqual(DEFAULT_READINESS_CRITERIA);
  });

  it('gives exit gates before another wave training and backup criteria, the last exit and final gate none', () => {
    expect(plan.waves[0]!.exitGate.criteria).toEqual([
      { id: 'training-pass-rate', minPercent: 95 },
      { id: 'backup-age', maxHours: 24 },
    ]);
    expect(plan.waves[1]!.exitGate.criteria).toEqual([
      { id: 'training-pass-rate', minPercent: 95 },
      { id: 'backup-age', maxHours: 24 },
    ]);
    expect(plan.waves[2]!.exitGate.criteria).toEqual([]);
    expect(plan.gates.final.criteria).toEqual([]);
  });

  it('fills criterion thresholds left out', () => {
    const input = testPlan();
    input.gates.readiness.criteria = [{ id: 'uat-ordinary-fixed' }, { id: 'training-pass-rate', minPercent: 98 }, { id: 'backup-age' }];
    expect(parsePlan(input).gates.readiness.criteria).toEqual([
      { id: 'uat-ordinary-fixed', minPercent: 95 },
      { id: 'training-pass-rate', minPercent: 98 },
      { id: 'backup-age', maxHours: 24 },
    ]);
  });

  it('fills gate deadlines, parallel run, policies, adapters and steps', () => {
    expect(plan.gates.final.decisionDeadline).toBe('P2D');
    expect(plan.parallelRun).toEqual({ minimumDays: 14, nightlyAt: '02:00', exitCleanNights: 3 });
    expect(plan.policies).toEqual({ onFailedStep: 'ask' });
    expect(plan.adapters[0]).toEqual({ id: 'sim', kind: 'simulated', delayMs: 0, failSteps: [], failCompensations: [] });
    expect(plan.departments[0]!.steps.map((s) => s.id)).toEqual(['grant-access', 'route-interfaces']);
    expect(plan.departments[1]!.steps.map((s) => s.id)).toEqual(['grant-access', 'route-interfaces', 'switch-analyzer-feed']);
  });

  it('defaults a gate rule to all and an http adapter to a 10 s timeout and no headers', () => {
    const input = testPlan();
    delete input.gates.final.rule;
    input.adapters.push({ id: 'his', kind: 'http', baseUrl: 'https://his.example.org' });
    const parsed = parsePlan(input);
    expect(parsed.gates.final.rule).toEqual({ kind: 'all' });
    expect(parsed.adapters[1]).toEqual({ id: 'his', kind: 'http', baseUrl: 'https://his.example.org', timeoutMs: 10_000, headers: {} });
  });
});

describe('planIssues', () => {
  it('uses params.rule for custom issues and the zod code otherwise', () => {
    const error = new z.ZodError([
      { code: 'custom', path: ['waves', 1, 'departments', 0], message: 'x', params: { rule: 'department-in-two-waves' }, input: undefined },
      { code: 'custom', path: ['a'], message: 'y', input: undefined },
      { code: 'too_small', origin: 'array', minimum: 1, inclusive: true, path: ['departments'], message: 'z', input: [] },
    ]);
    expect(planIssues(error)).toEqual([
      { path: 'waves.1.departments.0', rule: 'department-in-two-waves', message: 'x' },
      { path: 'a', rule: 'custom', message: 'y' },
      { path: 'departments', rule: 'too_small', message: 'z' },
    ]);
  });

  it('CutoverPlan is the same schema validatePlan uses', () => {
    expect(CutoverPlan.safeParse(testPlan()).success).toBe(true);
  });
});
