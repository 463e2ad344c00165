/**
 * The words people read for an incident's condition: the same in the e-mails and on the
 * command center. Types only from domain/escalation, so the page's bundle stays free of zod
 * and the Temporal SDK.
 */
import type { Condition, Counts } from './escalation';

export const conditionText: Record<Condition, string> = {
  'step-failed': 'a go-live step failed',
  'compensation-failed': 'a rollback step failed',
  'comparison-critical': 'the nightly comparison found critical differences',
  'comparison-repeated': 'the nightly comparison failed night after night',
  'comparison-not-run': 'the nightly comparison could not run',
  'emergency-declared': 'an emergency was declared',
  'gate-overdue': 'a gate decision is overdue',
  'runbook-task-late': "a task on the night's critical path is late",
  reported: 'a person reported a problem',
};

/** The one-line what-happened: the condition and its counts, nothing else. */
export function whatHappened(condition: Condition | string, counts: Counts | Record<string, number> = {}): string {
  const text = conditionText[condition as Condition] ?? condition;
  const c = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  return c.length ? `${text} (${c.join(', ')})` : text;
}
