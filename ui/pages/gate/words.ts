/** The gate pages' words: titles, purposes, rules and criterion values as people read them. */
import type { CriterionResult } from '../../../domain/rules/criteria';
import type { Values } from '../../components/ConfirmAction';
import type { GateView } from '../../program';

export function gateTitle(gate: string): string {
  if (gate === 'readiness') return 'Readiness gate';
  if (gate === 'final') return 'Final gate';
  const wave = /^exit-(\d+)$/.exec(gate)?.[1];
  return wave === '1' ? 'Go/no-go after the pilot' : wave ? `Wave ${wave} exit gate` : gate;
}

/** What passing the gate lets happen. */
export function gatePurpose(gate: string): string {
  if (gate === 'readiness') return 'Go lets the pilot wave start.';
  if (gate === 'final') return 'Go ends the parallel run: the legacy system may be retired.';
  const wave = Number(/^exit-(\d+)$/.exec(gate)?.[1]);
  return `Go closes ${wave === 1 ? 'the pilot' : `wave ${wave}`} and lets the next wave start (or, after the last wave, the parallel run finish).`;
}

/** "in 6 min", "3 min ago": how long the approvers have left, in the page's clock. */
export function until(iso: string, now = Date.now()): string {
  const min = Math.round((Date.parse(iso) - now) / 60_000);
  const span = Math.abs(min) >= 120 ? `${Math.round(Math.abs(min) / 60)} h` : `${Math.abs(min)} min`;
  return min >= 0 ? `in ${span}` : `${span} ago`;
}

export const ruleText = (g: GateView) =>
  g.rule.kind === 'all'
    ? `every one of the ${g.approvers.length} approvers must say go`
    : `${g.rule.required} of the ${g.approvers.length} approvers must say go`;

export const criterionName: Record<string, string> = {
  'uat-severe-fixed': 'Severe UAT defects fixed',
  'uat-ordinary-fixed': 'Ordinary UAT defects fixed',
  'training-pass-rate': 'Staff passing the training exam',
  'backup-age': 'Age of the last full backup',
  'migration-verified': 'Data migration verified',
};

export function value(c: Pick<CriterionResult, 'unit'>, v: number | boolean | null): string {
  if (v === null) return 'no evidence';
  if (c.unit === 'boolean') return v ? 'yes' : 'no';
  return c.unit === 'percent' ? `${String(v)}%` : `${String(v)} h`;
}
export const requirement = (c: CriterionResult) =>
  `${c.comparator === '>=' ? 'at least' : c.comparator === '<=' ? 'at most' : ''} ${value(c, c.threshold)}`.trim();
export const verdictLabel = { pass: 'pass', fail: 'fail', missing: 'missing' } as const;

/** A form's trimmed text, or undefined when left blank. */
export const text = (v: Values, k: string) => (typeof v[k] === 'string' && v[k].trim() ? v[k].trim() : undefined);
