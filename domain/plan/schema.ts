/**
 * The cutover plan: one versioned zod schema shared by the API (validation, OpenAPI) and the
 * workflows (which receive the parsed plan). Cross-field checks report a stable rule name in
 * `params.rule`, so clients and tests can tell "department-in-two-waves" from a typo without
 * parsing messages. Runs in the workflow sandbox: no Node built-ins, no clock.
 */

import { z } from 'zod';
import type { Step } from './adapters';
import { checkPlan, PILOT_MINIMUM_DAYS, WAVE_MINIMUM_DAYS } from './cross-field';
import { DEFAULT_EXPANSION_CRITERIA, DEFAULT_READINESS_CRITERIA, type Criterion, type Gate } from './gates';
import { PlanShape, type Plan } from './shape';

/** Fills in what depends on a thing's place in the plan: pilot vs. later waves, steps, gate criteria. */
function applyDefaults(plan: PlanShape): Plan {
  const last = plan.waves.length - 1;
  const withCriteria = (gate: PlanShape['gates']['final'], defaults: Criterion[]): Gate => ({
    ...gate,
    criteria: gate.criteria ?? defaults.map((c) => ({ ...c })),
  });
  // checkPlan has rejected every step without a compensation, so the casts below hold.
  return {
    ...plan,
    defaultSteps: plan.defaultSteps as Step[] | undefined,
    departments: plan.departments.map((d) => ({
      ...d,
      steps: (d.steps?.length ? d.steps : (plan.defaultSteps ?? [])).map((s) => ({ ...s })) as Step[],
    })),
    waves: plan.waves.map((w, i) => ({
      ...w,
      minimumDays: w.minimumDays ?? (i === 0 ? PILOT_MINIMUM_DAYS.default : WAVE_MINIMUM_DAYS.default),
      exitGate: withCriteria(w.exitGate, i < last ? DEFAULT_EXPANSION_CRITERIA : []),
    })),
    gates: {
      readiness: withCriteria(plan.gates.readiness, DEFAULT_READINESS_CRITERIA),
      final: withCriteria(plan.gates.final, []),
    },
  };
}

/**
 * The plan schema. Parsing applies every default; the output is itself a valid input, so a
 * parsed plan can be stored and parsed again.
 */
export const CutoverPlan = PlanShape.superRefine(checkPlan).transform(applyDefaults);
export type PlanInput = z.input<typeof CutoverPlan>;

export interface PlanIssue {
  /** Dotted path into the plan: waves.1.departments.0 */
  path: string;
  /** Stable rule name: ours for cross-field rules (department-in-two-waves), else zod's issue code. */
  rule: string;
  message: string;
}

export function planIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((i) => {
    const rule = i.code === 'custom' ? (i.params as { rule?: unknown } | undefined)?.rule : undefined;
    return { path: i.path.map(String).join('.'), rule: typeof rule === 'string' ? rule : i.code, message: i.message };
  });
}

export type PlanValidation = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

export function validatePlan(input: unknown): PlanValidation {
  const result = CutoverPlan.safeParse(input);
  return result.success ? { ok: true, plan: result.data } : { ok: false, issues: planIssues(result.error) };
}

/** For plans known to be valid (tests, the demo, a plan read back from storage); throws a ZodError otherwise. */
export function parsePlan(input: unknown): Plan {
  return CutoverPlan.parse(input);
}
