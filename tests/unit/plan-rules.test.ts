/** The plan schema's refusals: each bad plan is reported by path and stable rule name. */
import { describe, expect, it } from 'vitest';
import { validatePlan, type PlanInput } from '../../domain/plan';
import { testPlan } from '../../domain/demo-plans';
import { testDomain as domainOf } from '../helpers/program';

const testDomain = (name: string, tolerance: string) => {
  const d = domainOf(name);
  return { ...d, spec: { ...d.spec, fields: [{ ...d.spec.fields[0]!, tolerance }] } };
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The issues (path + rule) of testPlan() after `change`, in the order reported. */
function issuesAfter(change: (p: Mutable<PlanInput>) => void): { path: string; rule: string }[] {
  const plan = testPlan();
  change(plan);
  const result = validatePlan(plan);
  if (result.ok) return [];
  return result.issues.map(({ path, rule }) => ({ path, rule }));
}

const step = (p: PlanInput, dept: number, i: number) => p.departments[dept]!.steps![i]!;
const wave = (p: PlanInput, i: number) => p.waves[i]!;

const httpAdapter = {
  id: 'his',
  kind: 'http' as const,
  baseUrl: 'https://his.example.org/api',
  headers: { Authorization: { secretEnv: 'HIS_API_TOKEN' }, 'X-Client': 'golive' },
};
const httpStep = {
  id: 'grant-access',
  system: 'HIS' as const,
  action: 'grant-access',
  adapter: 'his',
  request: {
    method: 'POST' as const,
    path: '/departments/{{department}}/access',
    body: '{"program":"{{programId}}","step":"{{step}}","attempt":{{attempt}}}',
  },
  compensation: { action: 'revoke-access', request: { method: 'DELETE' as const, path: '/departments/{{department}}/access' } },
};

describe('validation rules (path + rule)', () => {
  it('unknown department in a wave', () => {
    expect(issuesAfter((p) => (wave(p, 1).departments[0] = 'NOPE'))).toEqual([
      { path: 'waves.1.departments.0', rule: 'unknown-department' },
      { path: 'departments.2', rule: 'department-in-no-wave' },
    ]);
  });

  it('a department in two waves', () => {
    expect(issuesAfter((p) => wave(p, 2).departments.push('RAD'))).toEqual([
      { path: 'waves.2.departments.4', rule: 'department-in-two-waves' },
    ]);
  });

  it('a department twice in one wave', () => {
    expect(issuesAfter((p) => wave(p, 1).departments.push('RAD'))).toEqual([
      { path: 'waves.1.departments.4', rule: 'department-listed-twice' },
    ]);
  });

  it('a department in no wave', () => {
    expect(issuesAfter((p) => (wave(p, 1).departments = ['PEDS-OPD', 'RAD', 'PHARM']))).toEqual([
      { path: 'departments.5', rule: 'department-in-no-wave' },
    ]);
  });

  it('an empty pilot, and no waves at all', () => {
    expect(issuesAfter((p) => (wave(p, 0).departments = []))).toEqual([
      { path: 'waves.0.departments', rule: 'empty-pilot' },
      { path: 'departments.0', rule: 'department-in-no-wave' },
      { path: 'departments.1', rule: 'department-in-no-wave' },
    ]);
    expect(issuesAfter((p) => (p.waves = []))[0]).toEqual({ path: 'waves', rule: 'empty-pilot' });
  });

  it('a pilot of more than 2 departments', () => {
    expect(
      issuesAfter((p) => {
        wave(p, 0).departments.push('PEDS-OPD');
        wave(p, 1).departments.shift();
      }),
    ).toEqual([{ path: 'waves.0.departments', rule: 'pilot-too-large' }]);
  });

  it('an empty later wave', () => {
    expect(
      issuesAfter((p) => {
        wave(p, 2).departments.push(...wave(p, 1).departments);
        wave(p, 1).departments = [];
      }),
    ).toEqual([{ path: 'waves.1.departments', rule: 'empty-wave' }]);
  });

  it('a gate without approvers', () => {
    expect(issuesAfter((p) => (p.gates.final.approvers = []))).toEqual([{ path: 'gates.final.approvers', rule: 'gate-without-approvers' }]);
  });

  it('a gate without a leadership approver', () => {
    expect(
      issuesAfter(
        (p) =>
          (wave(p, 0).exitGate.approvers = [
            { personId: 'p-lead-01', role: 'lead' },
            { personId: 'p-admin-01', role: 'admin' },
          ]),
      ),
    ).toEqual([{ path: 'waves.0.exitGate.approvers', rule: 'gate-without-leadership' }]);
  });

  it('an approver with a role that may not decide', () => {
    expect(issuesAfter((p) => p.gates.final.approvers.push({ personId: 'p-oncall-01', role: 'oncall' as 'lead' }))).toEqual([
      { path: 'gates.final.approvers.3.role', rule: 'invalid_value' },
    ]);
  });

  it('the same approver twice', () => {
    expect(issuesAfter((p) => p.gates.final.approvers.push({ personId: 'p-vp-01', role: 'leadership' }))).toEqual([
      { path: 'gates.final.approvers.3.personId', rule: 'duplicate-approver' },
    ]);
  });

  it('a quorum larger than its approvers', () => {
    expect(issuesAfter((p) => (p.gates.readiness.rule = { kind: 'quorum', required: 4 }))).toEqual([
      { path: 'gates.readiness.rule.required', rule: 'quorum-exceeds-approvers' },
    ]);
    expect(issuesAfter((p) => (p.gates.readiness.rule = { kind: 'quorum', required: 3 }))).toEqual([]);
  });

  it('duplicate department codes', () => {
    expect(issuesAfter((p) => p.departments.push({ code: 'ICU', name: 'Second ICU', kind: 'icu', criticality: 'critical' }))).toEqual([
      { path: 'departments.10.code', rule: 'duplicate-department' },
    ]);
  });

  it('duplicate step ids within a department', () => {
    expect(issuesAfter((p) => p.departments[1]!.steps!.push({ ...step(p, 1, 0) }))).toEqual([
      { path: 'departments.1.steps.3.id', rule: 'duplicate-step' },
    ]);
  });

  it('duplicate adapter ids', () => {
    expect(issuesAfter((p) => p.adapters.push({ id: 'sim', kind: 'simulated' }))).toEqual([
      { path: 'adapters.1.id', rule: 'duplicate-adapter' },
    ]);
  });

  it('a bad time zone; half-hour zones are fine', () => {
    expect(issuesAfter((p) => (p.hospital.timeZone = 'Mars/Olympus_Mons'))).toEqual([{ path: 'hospital.timeZone', rule: 'bad-time-zone' }]);
    expect(issuesAfter((p) => (p.hospital.timeZone = 'Asia/Kolkata'))).toEqual([]);
  });

  it('a step without a compensation', () => {
    expect(issuesAfter((p) => delete p.defaultSteps![1]!.compensation)).toEqual([
      { path: 'defaultSteps.1.compensation', rule: 'step-without-compensation' },
    ]);
    expect(issuesAfter((p) => delete step(p, 1, 2).compensation)).toEqual([
      { path: 'departments.1.steps.2.compensation', rule: 'step-without-compensation' },
    ]);
  });

  it('an unknown adapter', () => {
    expect(issuesAfter((p) => (step(p, 1, 0).adapter = 'lis-prod'))).toEqual([
      { path: 'departments.1.steps.0.adapter', rule: 'unknown-adapter' },
    ]);
  });

  it('a department without steps when the plan has no default steps', () => {
    expect(issuesAfter((p) => delete p.defaultSteps).filter((i) => i.rule === 'department-without-steps')).toHaveLength(7);
    expect(issuesAfter((p) => delete p.defaultSteps)[0]).toEqual({ path: 'departments.0.steps', rule: 'department-without-steps' });
  });

  describe('durations out of range', () => {
    it('pilot minimumDays 2..28', () => {
      expect(issuesAfter((p) => (wave(p, 0).minimumDays = 1))).toEqual([{ path: 'waves.0.minimumDays', rule: 'duration-out-of-range' }]);
      expect(issuesAfter((p) => (wave(p, 0).minimumDays = 29))).toEqual([{ path: 'waves.0.minimumDays', rule: 'duration-out-of-range' }]);
      expect(issuesAfter((p) => (wave(p, 0).minimumDays = 2))).toEqual([]);
      expect(issuesAfter((p) => (wave(p, 0).minimumDays = 28))).toEqual([]);
    });

    it('later waves minimumDays 1..90', () => {
      expect(issuesAfter((p) => (wave(p, 1).minimumDays = 0))).toEqual([{ path: 'waves.1.minimumDays', rule: 'duration-out-of-range' }]);
      expect(issuesAfter((p) => (wave(p, 2).minimumDays = 91))).toEqual([{ path: 'waves.2.minimumDays', rule: 'duration-out-of-range' }]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDays = 1))).toEqual([]);
      expect(issuesAfter((p) => (wave(p, 2).minimumDays = 90))).toEqual([]);
    });

    it('parallel run at least 14 days unless overridden', () => {
      expect(issuesAfter((p) => (p.parallelRun = { minimumDays: 13 }))).toEqual([
        { path: 'parallelRun.minimumDays', rule: 'duration-out-of-range' },
      ]);
      expect(issuesAfter((p) => (p.parallelRun = { minimumDays: 13, minimumDuration: 'PT10M' }))).toEqual([]);
      expect(issuesAfter((p) => (p.parallelRun = { minimumDuration: 'PT0S' }))).toEqual([
        { path: 'parallelRun.minimumDuration', rule: 'duration-out-of-range' },
      ]);
    });

    it("a comparison field's tolerance is a non-negative decimal, by a named rule (found by the contract test: '' was rule custom)", () => {
      const withTolerance = (tolerance: string) => (p: Mutable<PlanInput>) =>
        (p.parallelRun = { minimumDays: 14, domains: [testDomain('charges', tolerance)] });
      expect(issuesAfter(withTolerance('0.01'))).toEqual([]);
      for (const bad of ['', '-1', '1e3'])
        expect(issuesAfter(withTolerance(bad))).toEqual([
          { path: 'parallelRun.domains.0.spec.fields.0.tolerance', rule: 'non-negative-decimal' },
        ]);
    });

    it('overrides: longer than zero, at most 90 days, weeks to seconds only', () => {
      expect(issuesAfter((p) => (wave(p, 0).minimumDuration = 'PT5M'))).toEqual([]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDuration = 'P12W6D'))).toEqual([]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDuration = 'P13W'))).toEqual([
        { path: 'waves.1.minimumDuration', rule: 'duration-out-of-range' },
      ]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDuration = 'PT0M'))).toEqual([
        { path: 'waves.1.minimumDuration', rule: 'duration-out-of-range' },
      ]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDuration = 'P1M'))).toEqual([{ path: 'waves.1.minimumDuration', rule: 'bad-duration' }]);
      expect(issuesAfter((p) => (wave(p, 1).minimumDuration = '5 minutes'))).toEqual([
        { path: 'waves.1.minimumDuration', rule: 'bad-duration' },
      ]);
    });

    it('gate decision deadline 1 minute..30 days', () => {
      expect(issuesAfter((p) => (p.gates.final.decisionDeadline = 'PT30S'))).toEqual([
        { path: 'gates.final.decisionDeadline', rule: 'duration-out-of-range' },
      ]);
      expect(issuesAfter((p) => (p.gates.final.decisionDeadline = 'P31D'))).toEqual([
        { path: 'gates.final.decisionDeadline', rule: 'duration-out-of-range' },
      ]);
      expect(issuesAfter((p) => (p.gates.final.decisionDeadline = 'PT4H'))).toEqual([]);
    });
  });

  describe('adapters and http steps', () => {
    it('accepts an http adapter whose secret header is a reference to an environment variable', () => {
      const plan = testPlan();
      plan.adapters.push(httpAdapter);
      plan.departments[0]!.steps = [httpStep];
      const result = validatePlan(plan);
      expect(result.ok).toBe(true);
      if (result.ok)
        expect(result.plan.adapters[1]).toMatchObject({
          headers: { Authorization: { secretEnv: 'HIS_API_TOKEN' }, 'X-Client': 'golive' },
          timeoutMs: 10_000,
        });
    });

    it('a secret header given literally', () => {
      expect(issuesAfter((p) => p.adapters.push({ ...httpAdapter, headers: { Authorization: 'Bearer abc' } }))).toEqual([
        { path: 'adapters.1.headers.Authorization', rule: 'literal-secret' },
      ]);
    });

    it('plain http to anything but localhost', () => {
      expect(issuesAfter((p) => p.adapters.push({ ...httpAdapter, baseUrl: 'http://his.example.org' }))).toEqual([
        { path: 'adapters.1.baseUrl', rule: 'insecure-url' },
      ]);
      expect(issuesAfter((p) => p.adapters.push({ ...httpAdapter, baseUrl: 'http://localhost:8081' }))).toEqual([]);
      expect(issuesAfter((p) => p.adapters.push({ ...httpAdapter, baseUrl: 'ftp://his.example.org' }))).toEqual([
        { path: 'adapters.1.baseUrl', rule: 'invalid_format' },
      ]);
      expect(issuesAfter((p) => p.adapters.push({ ...httpAdapter, baseUrl: 'his' }))).toEqual([
        { path: 'adapters.1.baseUrl', rule: 'invalid_format' },
      ]);
    });

    it('an http step or its compensation without a request', () => {
      expect(
        issuesAfter((p) => {
          p.adapters.push(httpAdapter);
          p.departments[0]!.steps = [{ ...httpStep, request: undefined, compensation: { action: 'revoke-access' } }];
        }),
      ).toEqual([
        { path: 'departments.0.steps.0.request', rule: 'http-step-without-request' },
        { path: 'departments.0.steps.0.compensation.request', rule: 'http-step-without-request' },
      ]);
    });

    it('a body template with a placeholder other than department, step, programId, attempt', () => {
      expect(
        issuesAfter((p) => {
          p.adapters.push(httpAdapter);
          p.departments[0]!.steps = [{ ...httpStep, request: { method: 'POST', path: '/x', body: '{"patient":"{{patientId}}"}' } }];
        }),
      ).toEqual([{ path: 'departments.0.steps.0.request.body', rule: 'unknown-placeholder' }]);
    });

    it('scripted failures of the simulated adapter must name a known department and step', () => {
      expect(
        issuesAfter((p) => (p.adapters[0] = { id: 'sim', kind: 'simulated', failSteps: [{ department: 'NOPE', step: 'grant-access' }] })),
      ).toEqual([{ path: 'adapters.0.failSteps.0.department', rule: 'unknown-department' }]);
      expect(
        issuesAfter(
          (p) =>
            (p.adapters[0] = { id: 'sim', kind: 'simulated', failCompensations: [{ department: 'IM-OPD', step: 'switch-analyzer-feed' }] }),
        ),
      ).toEqual([{ path: 'adapters.0.failCompensations.0.step', rule: 'unknown-step' }]);
      expect(
        issuesAfter(
          (p) =>
            (p.adapters[0] = {
              id: 'sim',
              kind: 'simulated',
              failSteps: [{ department: 'LAB', step: 'switch-analyzer-feed', mode: 'transient', times: 2 }],
            }),
        ),
      ).toEqual([]);
    });
  });

  describe('windows and blackouts', () => {
    it('accepts a Tue-Thu morning window and a blackout', () => {
      expect(
        issuesAfter((p) => {
          wave(p, 0).startWindows = [{ days: ['tue', 'wed', 'thu'], from: '08:00', to: '12:00' }];
          wave(p, 0).blackouts = [{ from: '2026-10-01T00:00', to: '2026-10-08T00:00', reason: 'National Day holiday' }];
        }),
      ).toEqual([]);
    });

    it('an empty window, an empty blackout, a bad local date-time', () => {
      expect(issuesAfter((p) => (wave(p, 0).startWindows = [{ days: ['tue'], from: '12:00', to: '08:00' }]))).toEqual([
        { path: 'waves.0.startWindows.0', rule: 'empty-window' },
      ]);
      expect(issuesAfter((p) => (wave(p, 0).blackouts = [{ from: '2026-10-08T00:00', to: '2026-10-01T00:00' }]))).toEqual([
        { path: 'waves.0.blackouts.0', rule: 'empty-blackout' },
      ]);
      expect(issuesAfter((p) => (wave(p, 0).blackouts = [{ from: '2026-02-30T00:00', to: '2026-10-01T00:00' }]))).toEqual([
        { path: 'waves.0.blackouts.0.from', rule: 'bad-local-datetime' },
      ]);
      expect(issuesAfter((p) => (wave(p, 0).startWindows = [{ days: [], from: '08:00', to: '25:00' }]))).toEqual([
        { path: 'waves.0.startWindows.0.days', rule: 'too_small' },
        { path: 'waves.0.startWindows.0.to', rule: 'invalid_format' },
      ]);
    });
  });

  describe('criteria', () => {
    it('a criterion twice in one gate', () => {
      expect(issuesAfter((p) => (p.gates.readiness.criteria = [{ id: 'backup-age' }, { id: 'backup-age', maxHours: 12 }]))).toEqual([
        { path: 'gates.readiness.criteria.1.id', rule: 'duplicate-criterion' },
      ]);
    });

    it('training on a gate after which no department goes live', () => {
      expect(issuesAfter((p) => (p.gates.final.criteria = [{ id: 'training-pass-rate' }]))).toEqual([
        { path: 'gates.final.criteria.0.id', rule: 'criterion-without-departments' },
      ]);
      expect(issuesAfter((p) => (wave(p, 2).exitGate.criteria = [{ id: 'training-pass-rate' }]))).toEqual([
        { path: 'waves.2.exitGate.criteria.0.id', rule: 'criterion-without-departments' },
      ]);
    });

    it('an unknown criterion id', () => {
      expect(issuesAfter((p) => (p.gates.readiness.criteria = [{ id: 'vibes' } as never]))).toEqual([
        { path: 'gates.readiness.criteria.0.id', rule: 'invalid_union' },
      ]);
    });
  });

  describe('shape', () => {
    it('a misspelt field is rejected, not ignored', () => {
      expect(issuesAfter((p) => Object.assign(wave(p, 0), { minimumDay: 10 }))).toEqual([{ path: 'waves.0', rule: 'unrecognized_keys' }]);
    });

    it('another schema version', () => {
      expect(issuesAfter((p) => Object.assign(p, { schemaVersion: 2 }))).toEqual([{ path: 'schemaVersion', rule: 'invalid_value' }]);
    });

    it('codes and ids in their formats', () => {
      expect(issuesAfter((p) => (p.departments[0]!.code = 'im opd'))).toContainEqual({
        path: 'departments.0.code',
        rule: 'invalid_format',
      });
      expect(issuesAfter((p) => (p.programId = 'Program 1'))).toEqual([{ path: 'programId', rule: 'invalid_format' }]);
    });

    it('reports several problems at once, each with a message', () => {
      const plan = testPlan();
      plan.hospital.timeZone = 'Nowhere/Land';
      plan.gates.final.approvers = [];
      wave(plan, 2).departments.push('LAB');
      const result = validatePlan(plan);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues).toEqual([
        { path: 'hospital.timeZone', rule: 'bad-time-zone', message: 'must be an IANA time zone such as Asia/Shanghai' },
        { path: 'waves.2.departments.4', rule: 'department-in-two-waves', message: 'department LAB is already in wave 1' },
        { path: 'gates.final.approvers', rule: 'gate-without-approvers', message: 'a gate needs named approvers' },
      ]);
    });
  });
});
