/** The gate pages' words: titles, purposes, rules and criterion values as people read them, from the catalogs. */
import type { MessageKey } from '../../../domain/i18n';
import { catalogs } from '../../../domain/i18n';
import type { CriterionResult } from '../../../domain/rules/criteria';
import type { Values } from '../../components/ConfirmAction';
import type { PageWords } from '../../i18n';
import type { GateView } from '../../program';

/** The gate's kind and wave for the catalog's selects: the pilot's exit gate has words of its own. */
function kindOf(gate: string): { kind: string; wave: number } {
  if (gate === 'readiness' || gate === 'final') return { kind: gate, wave: 0 };
  const wave = Number(/^exit-(\d+)$/.exec(gate)?.[1] ?? 0);
  return { kind: wave === 1 ? 'pilot' : 'exit', wave };
}

export const gateTitle = (w: PageWords, gate: string) => w.t('ui.gate.title', kindOf(gate));

/** What passing the gate lets happen. */
export const gatePurpose = (w: PageWords, gate: string) => w.t('ui.gate.purpose', kindOf(gate));

/** "in 6 min", "3 min ago": how long the approvers have left. */
export function until(w: PageWords, iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  // Whole minutes: seconds would change on every poll and say nothing to an approver.
  const span = w.duration(Math.max(60_000, Math.round(Math.abs(ms) / 60_000) * 60_000));
  return w.t(ms >= 0 ? 'ui.duration.in' : 'ui.duration.ago', { duration: span });
}

export const ruleText = (w: PageWords, g: GateView) =>
  w.t('ui.gate.rule', { kind: g.rule.kind, n: g.approvers.length, required: g.rule.kind === 'all' ? g.approvers.length : g.rule.required });

/** A criterion by its catalog name; one this build does not know shows as its id. */
export function criterionName(w: PageWords, id: string): string {
  const key = `ui.criterion.${id}` as MessageKey;
  return key in catalogs.en ? w.t(key) : id;
}

export function value(w: PageWords, c: Pick<CriterionResult, 'unit'>, v: number | boolean | null): string {
  if (v === null) return w.t('ui.criteria.noEvidence');
  if (c.unit === 'boolean') return w.t(v ? 'ui.common.yes' : 'ui.common.no');
  return c.unit === 'percent'
    ? new Intl.NumberFormat(w.locale, { style: 'percent', maximumFractionDigits: 2 }).format(Number(v) / 100)
    : w.t('ui.criteria.hours', { n: Number(v) });
}
export const requirement = (w: PageWords, c: CriterionResult) =>
  w.t('ui.criteria.requirement', {
    comparator: c.comparator === '>=' ? 'atLeast' : c.comparator === '<=' ? 'atMost' : 'exact',
    value: value(w, c, c.threshold),
  });

/** A form's trimmed text, or undefined when left blank. */
export const text = (v: Values, k: string) => (typeof v[k] === 'string' && v[k].trim() ? v[k].trim() : undefined);
