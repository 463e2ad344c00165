/** The plan's cross-field rules: each issue carries a stable rule name in `params.rule` (department-in-two-waves, ...). */
import { z } from 'zod';
import { secretHeaders } from './adapters';
import { DAY, durationMs, isoDurationPattern, MINUTE } from './scalars';
import type { PlanShape } from './shape';

export const PILOT_MINIMUM_DAYS = { min: 2, max: 28, default: 14 };
export const WAVE_MINIMUM_DAYS = { min: 1, max: 90, default: 7 };
export const PARALLEL_RUN_MINIMUM_DAYS = 14;
const MAX_OVERRIDE_MS = 90 * DAY;
const MAX_SETTLE_MS = 3_600_000;
const DECISION_DEADLINE_RANGE_MS = { min: MINUTE, max: 30 * DAY };

type Path = (string | number)[];

export function checkPlan(plan: PlanShape, ctx: z.RefinementCtx): void {
  const issue = (path: Path, rule: string, message: string) => ctx.addIssue({ code: 'custom', path, message, params: { rule } });

  const departmentCodes = new Set<string>();
  plan.departments.forEach((d, i) => {
    if (departmentCodes.has(d.code)) issue(['departments', i, 'code'], 'duplicate-department', `department ${d.code} is listed twice`);
    departmentCodes.add(d.code);
  });

  const adapters = new Map<string, PlanShape['adapters'][number]>();
  plan.adapters.forEach((a, i) => {
    if (adapters.has(a.id)) issue(['adapters', i, 'id'], 'duplicate-adapter', `adapter ${a.id} is listed twice`);
    else adapters.set(a.id, a);
    if (a.kind !== 'http') return;
    const url = parseUrl(a.baseUrl);
    if (url?.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      issue(['adapters', i, 'baseUrl'], 'insecure-url', 'hospital systems are reached over https (plain http only on localhost)');
    }
    for (const [name, value] of Object.entries(a.headers)) {
      if (typeof value === 'string' && secretHeaders.has(name.toLowerCase())) {
        issue(['adapters', i, 'headers', name], 'literal-secret', `header ${name} carries a secret: use { secretEnv: 'NAME' }`);
      }
    }
  });

  const checkSteps = (steps: NonNullable<PlanShape['defaultSteps']>, at: Path) => {
    const ids = new Set<string>();
    steps.forEach((s, j) => {
      const path = [...at, j];
      if (ids.has(s.id)) issue([...path, 'id'], 'duplicate-step', `step ${s.id} is listed twice`);
      ids.add(s.id);
      const adapter = adapters.get(s.adapter);
      if (!adapter) issue([...path, 'adapter'], 'unknown-adapter', `no adapter ${s.adapter}`);
      if (!s.compensation)
        issue([...path, 'compensation'], 'step-without-compensation', `step ${s.id} needs a compensation: rollback undoes every step`);
      if (adapter?.kind === 'http') {
        if (!s.request)
          issue([...path, 'request'], 'http-step-without-request', `step ${s.id} uses http adapter ${adapter.id}: give method and path`);
        if (s.compensation && !s.compensation.request)
          issue(
            [...path, 'compensation', 'request'],
            'http-step-without-request',
            `the compensation of step ${s.id} uses http adapter ${adapter.id}: give method and path`,
          );
      }
    });
  };
  if (plan.defaultSteps) checkSteps(plan.defaultSteps, ['defaultSteps']);
  const stepIdsOf = new Map<string, Set<string>>();
  plan.departments.forEach((d, i) => {
    const own = d.steps && d.steps.length > 0;
    if (own) checkSteps(d.steps!, ['departments', i, 'steps']);
    else if (!plan.defaultSteps?.length)
      issue(
        ['departments', i, 'steps'],
        'department-without-steps',
        `department ${d.code} lists no steps and the plan has no defaultSteps`,
      );
    stepIdsOf.set(d.code, new Set((own ? d.steps! : (plan.defaultSteps ?? [])).map((s) => s.id)));
  });

  plan.adapters.forEach((a, i) => {
    if (a.kind !== 'simulated') return;
    for (const list of ['failSteps', 'failCompensations'] as const) {
      a[list].forEach((f, k) => {
        const path = ['adapters', i, list, k];
        if (f.department !== undefined && !departmentCodes.has(f.department)) {
          issue([...path, 'department'], 'unknown-department', `no department ${f.department}`);
          return;
        }
        const known =
          f.department !== undefined ? stepIdsOf.get(f.department)?.has(f.step) : [...stepIdsOf.values()].some((ids) => ids.has(f.step));
        if (!known) issue([...path, 'step'], 'unknown-step', `no step ${f.step}${f.department ? ` in ${f.department}` : ''}`);
      });
    }
  });

  const waveOf = new Map<string, number>();
  if (plan.waves.length === 0) issue(['waves'], 'empty-pilot', 'the plan needs at least the pilot wave');
  plan.waves.forEach((w, i) => {
    const pilot = i === 0;
    if (w.departments.length === 0)
      issue(
        ['waves', i, 'departments'],
        pilot ? 'empty-pilot' : 'empty-wave',
        pilot ? 'the pilot needs 1 or 2 departments' : `wave ${i + 1} has no departments`,
      );
    if (pilot && w.departments.length > 2)
      issue(['waves', i, 'departments'], 'pilot-too-large', `the pilot has ${w.departments.length} departments; at most 2`);
    w.departments.forEach((code, j) => {
      const path = ['waves', i, 'departments', j];
      if (!departmentCodes.has(code)) issue(path, 'unknown-department', `no department ${code}`);
      const earlier = waveOf.get(code);
      if (earlier === i) issue(path, 'department-listed-twice', `department ${code} is listed twice in wave ${i + 1}`);
      else if (earlier !== undefined) issue(path, 'department-in-two-waves', `department ${code} is already in wave ${earlier + 1}`);
      else waveOf.set(code, i);
    });
    const range = pilot ? PILOT_MINIMUM_DAYS : WAVE_MINIMUM_DAYS;
    if (w.minimumDays !== undefined && (w.minimumDays < range.min || w.minimumDays > range.max)) {
      issue(
        ['waves', i, 'minimumDays'],
        'duration-out-of-range',
        `${pilot ? 'the pilot' : `wave ${i + 1}`} runs ${range.min}..${range.max} days before its exit gate`,
      );
    }
    if (w.minimumDuration !== undefined) checkOverride(w.minimumDuration, ['waves', i, 'minimumDuration']);
    w.startWindows.forEach((win, k) => {
      if (win.from >= win.to)
        issue(['waves', i, 'startWindows', k], 'empty-window', `the window ${win.from}-${win.to} is empty: from must be before to`);
    });
    w.blackouts.forEach((b, k) => {
      if (b.from >= b.to)
        issue(['waves', i, 'blackouts', k], 'empty-blackout', `the blackout ${b.from}..${b.to} is empty: from must be before to`);
    });
  });
  plan.departments.forEach((d, i) => {
    if (!waveOf.has(d.code)) issue(['departments', i], 'department-in-no-wave', `department ${d.code} is in no wave`);
  });

  const checkGate = (gate: PlanShape['gates']['final'], at: Path, scope: string[]) => {
    if (gate.approvers.length === 0) issue([...at, 'approvers'], 'gate-without-approvers', 'a gate needs named approvers');
    else if (!gate.approvers.some((a) => a.role === 'leadership'))
      issue(
        [...at, 'approvers'],
        'gate-without-leadership',
        'go/no-go belongs to the decision layer: name at least one leadership approver',
      );
    const people = new Set<string>();
    gate.approvers.forEach((a, k) => {
      if (people.has(a.personId))
        issue([...at, 'approvers', k, 'personId'], 'duplicate-approver', `approver ${a.personId} is listed twice`);
      people.add(a.personId);
    });
    if (gate.rule.kind === 'quorum' && gate.rule.required > people.size) {
      issue(
        [...at, 'rule', 'required'],
        'quorum-exceeds-approvers',
        `a quorum of ${gate.rule.required} needs at least that many approvers (${people.size} named)`,
      );
    }
    const deadline = durationMsOrNull(gate.decisionDeadline);
    if (deadline !== null && (deadline < DECISION_DEADLINE_RANGE_MS.min || deadline > DECISION_DEADLINE_RANGE_MS.max)) {
      issue([...at, 'decisionDeadline'], 'duration-out-of-range', 'the decision deadline is between 1 minute and 30 days');
    }
    const criteria = new Set<string>();
    gate.criteria?.forEach((c, k) => {
      // One rehearsal criterion per runbook (a wave's departments each rehearse their own night).
      const key = c.id === 'rehearsal' ? `rehearsal of ${c.runbookId}` : c.id;
      if (criteria.has(key)) issue([...at, 'criteria', k, 'id'], 'duplicate-criterion', `criterion ${key} is listed twice`);
      criteria.add(key);
      if (c.id === 'training-pass-rate' && scope.length === 0)
        issue(
          [...at, 'criteria', k, 'id'],
          'criterion-without-departments',
          'no departments go live after this gate, so there is no training to check',
        );
    });
  };
  checkGate(plan.gates.readiness, ['gates', 'readiness'], plan.waves[0]?.departments ?? []);
  plan.waves.forEach((w, i) => checkGate(w.exitGate, ['waves', i, 'exitGate'], plan.waves[i + 1]?.departments ?? []));
  checkGate(plan.gates.final, ['gates', 'final'], []);

  const run = plan.parallelRun;
  if (run.minimumDuration !== undefined) checkOverride(run.minimumDuration, ['parallelRun', 'minimumDuration']);
  else if (run.minimumDays < PARALLEL_RUN_MINIMUM_DAYS)
    issue(['parallelRun', 'minimumDays'], 'duration-out-of-range', `the parallel run lasts at least ${PARALLEL_RUN_MINIMUM_DAYS} days`);
  if (run.comparisonEvery !== undefined) checkOverride(run.comparisonEvery, ['parallelRun', 'comparisonEvery']);
  const settle = run.settle === undefined ? null : durationMsOrNull(run.settle);
  if (settle !== null && settle > MAX_SETTLE_MS)
    issue(['parallelRun', 'settle'], 'duration-out-of-range', 'the settle delay is at most 1 hour');
  const domainNames = new Set<string>();
  run.domains?.forEach((d, i) => {
    if (domainNames.has(d.name)) issue(['parallelRun', 'domains', i, 'name'], 'duplicate-domain', `domain ${d.name} is listed twice`);
    domainNames.add(d.name);
    for (const [name, map] of Object.entries(d.spec.codeMaps)) {
      if (map.kind === 'table' && !/^env:[A-Z_][A-Z0-9_]{0,127}$/.test(map.url)) {
        issue(
          ['parallelRun', 'domains', i, 'spec', 'codeMaps', name, 'url'],
          'literal-secret',
          'a code-map table is reached through a secret: write its url as env:NAME',
        );
      }
    }
  });

  function checkOverride(iso: string, path: Path) {
    const ms = durationMsOrNull(iso);
    if (ms !== null && (ms <= 0 || ms > MAX_OVERRIDE_MS))
      issue(path, 'duration-out-of-range', 'must be longer than zero and at most 90 days');
  }
}

/** Null for what the shape already rejected: the cross-field rules still run then. */
function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

function durationMsOrNull(iso: string): number | null {
  return isoDurationPattern.test(iso) ? durationMs(iso) : null;
}
