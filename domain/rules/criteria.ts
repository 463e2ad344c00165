/**
 * Gate criteria against the evidence the cutover lead recorded. Pure and deterministic: `now`
 * is a parameter. Boundaries are exact (integer arithmetic): 95.0% passes ">= 95%", a backup
 * exactly 24 h old passes "<= 24 h".
 */
import { z } from 'zod';
import { DepartmentCode, type Criterion, type CriterionId } from '../plan';
import { qualifyingRehearsals, rehearsalShortfalls, type RunSummary } from '../runbook-report';

const Count = z.number().int().min(0);

export const UatEvidence = z
  .strictObject({ severeTotal: Count, severeFixed: Count, ordinaryTotal: Count, ordinaryFixed: Count })
  .superRefine((u, ctx) => {
    for (const kind of ['severe', 'ordinary'] as const) {
      if (u[`${kind}Fixed`] > u[`${kind}Total`]) {
        ctx.addIssue({
          code: 'custom',
          path: [`${kind}Fixed`],
          message: `more ${kind} defects fixed than found`,
          params: { rule: 'fixed-exceeds-total' },
        });
      }
    }
  });

export const TrainingEvidence = z.strictObject({ examined: Count, passed: Count }).refine((t) => t.passed <= t.examined, {
  path: ['passed'],
  message: 'more staff passed than were examined',
  params: { rule: 'passed-exceeds-examined' },
});

/** What the lead recorded; every part is optional (missing evidence shows as missing). Counts and codes only. */
export const Evidence = z.strictObject({
  uat: UatEvidence.optional(),
  /** Exam results per department code. */
  training: z.record(DepartmentCode, TrainingEvidence).optional(),
  backup: z.strictObject({ takenAt: z.iso.datetime({ offset: true }) }).optional(),
  migration: z.strictObject({ verified: z.boolean(), verifiedAt: z.iso.datetime({ offset: true }).optional() }).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

export type Verdict = 'pass' | 'fail' | 'missing';

export interface CriterionResult {
  id: CriterionId;
  comparator: '>=' | '<=' | '=';
  threshold: number | boolean;
  unit: 'percent' | 'hours' | 'boolean';
  /** Percent (floored to 0.01), hours (rounded to 0.01) or boolean; null when there is no evidence. */
  value: number | boolean | null;
  verdict: Verdict;
  /** training-pass-rate only: one entry per department in scope; value is the lowest rate. */
  departments?: { code: string; value: number | null; verdict: Verdict }[];
  /** rehearsal only: the runbook's rehearsals that qualified (newest first), and why each other did not. */
  rehearsals?: { runbookId: string; withinDays: number; qualifying: string[]; notQualifying: { runId: string; why: string[] }[] };
}

export interface EvaluationContext {
  nowMs: number;
  /** The departments about to go live, whose training counts (see gateScope). */
  departments: readonly string[];
  /** The runs of the program's runbooks that finished, as the program learned of them. */
  runs?: readonly RunSummary[];
}

const HOUR = 3_600_000;

/** num/den >= minPercent%, exactly (thresholds are honoured to 0.001 percentage points). */
function reaches(num: number, den: number, minPercent: number): boolean {
  return num * 100_000 >= Math.round(minPercent * 1000) * den;
}

function percent(num: number, den: number): number {
  return Math.floor((num * 10_000) / den) / 100;
}

function uatResult(id: 'uat-severe-fixed' | 'uat-ordinary-fixed', minPercent: number, fixed?: number, total?: number): CriterionResult {
  const base = { id, comparator: '>=', threshold: minPercent, unit: 'percent' } as const;
  if (fixed === undefined || total === undefined) return { ...base, value: null, verdict: 'missing' };
  // No defects found means none is left open.
  if (total === 0) return { ...base, value: 100, verdict: 'pass' };
  return { ...base, value: percent(fixed, total), verdict: reaches(fixed, total, minPercent) ? 'pass' : 'fail' };
}

function evaluateOne(c: Criterion, evidence: Evidence, ctx: EvaluationContext): CriterionResult {
  switch (c.id) {
    case 'uat-severe-fixed':
      return uatResult(c.id, c.minPercent, evidence.uat?.severeFixed, evidence.uat?.severeTotal);
    case 'uat-ordinary-fixed':
      return uatResult(c.id, c.minPercent, evidence.uat?.ordinaryFixed, evidence.uat?.ordinaryTotal);
    case 'training-pass-rate': {
      const departments = ctx.departments.map((code) => {
        const t = evidence.training?.[code];
        if (!t || t.examined === 0) return { code, value: null, verdict: 'missing' as Verdict };
        return {
          code,
          value: percent(t.passed, t.examined),
          verdict: (reaches(t.passed, t.examined, c.minPercent) ? 'pass' : 'fail') as Verdict,
        };
      });
      const values = departments.flatMap((d) => (d.value === null ? [] : [d.value]));
      const verdict: Verdict = departments.some((d) => d.verdict === 'fail')
        ? 'fail'
        : departments.length === 0 || departments.some((d) => d.verdict === 'missing')
          ? 'missing'
          : 'pass';
      return {
        id: c.id,
        comparator: '>=',
        threshold: c.minPercent,
        unit: 'percent',
        value: values.length ? Math.min(...values) : null,
        verdict,
        departments,
      };
    }
    case 'backup-age': {
      const base = { id: c.id, comparator: '<=', threshold: c.maxHours, unit: 'hours' } as const;
      if (!evidence.backup) return { ...base, value: null, verdict: 'missing' };
      // A timestamp slightly ahead of the workflow clock is clock skew, not a backup from the future.
      const ageMs = Math.max(0, ctx.nowMs - Date.parse(evidence.backup.takenAt));
      return { ...base, value: Math.round((ageMs / HOUR) * 100) / 100, verdict: ageMs <= c.maxHours * HOUR ? 'pass' : 'fail' };
    }
    case 'migration-verified': {
      const base = { id: c.id, comparator: '=', threshold: true, unit: 'boolean' } as const;
      if (!evidence.migration) return { ...base, value: null, verdict: 'missing' };
      return { ...base, value: evidence.migration.verified, verdict: evidence.migration.verified ? 'pass' : 'fail' };
    }
    case 'rehearsal': {
      // Live runs are the night itself, not evidence of readiness for it.
      const runs = (ctx.runs ?? []).filter((r) => r.runbookId === c.runbookId && r.mode === 'rehearsal');
      const qualifying = qualifyingRehearsals([...runs], ctx.nowMs, c.withinDays);
      const rehearsals = {
        runbookId: c.runbookId,
        withinDays: c.withinDays,
        qualifying,
        notQualifying: runs
          .filter((r) => !qualifying.includes(r.runId))
          .map((r) => ({ runId: r.runId, why: rehearsalShortfalls(r, ctx.nowMs, c.withinDays) })),
      };
      const base = { id: c.id, comparator: '=', threshold: true, unit: 'boolean', rehearsals } as const;
      if (runs.length === 0) return { ...base, value: null, verdict: 'missing' };
      return { ...base, value: qualifying.length > 0, verdict: qualifying.length > 0 ? 'pass' : 'fail' };
    }
  }
}

/** One result per criterion, in the gate's order. */
export function evaluateCriteria(criteria: readonly Criterion[], evidence: Evidence, ctx: EvaluationContext): CriterionResult[] {
  return criteria.map((c) => evaluateOne(c, evidence, ctx));
}

/** Go needs every criterion to pass; missing evidence counts as not passed. */
export function criteriaPassed(results: readonly CriterionResult[]): boolean {
  return results.every((r) => r.verdict === 'pass');
}
