import { describe, expect, it } from 'vitest';
import { evaluateCriteria } from '../../domain/rules/criteria';
import type { RunSummary } from '../../domain/runbook-run';
import { Criterion } from '../../domain/plan';

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 3);
const run = (runId: string, extra: Partial<RunSummary> = {}): RunSummary => ({
  runId,
  runbookId: 'night-LAB',
  mode: 'rehearsal',
  status: 'finished',
  startMs: now - 2 * DAY,
  minutesOverWindow: -30,
  validationsNotPassed: 0,
  ...extra,
});
const criterion = Criterion.parse({ id: 'rehearsal', runbookId: 'night-LAB' });
const evaluate = (runs: RunSummary[]) => evaluateCriteria([criterion], {}, { nowMs: now, departments: [], runs })[0]!;

describe('the readiness criterion "rehearsal"', () => {
  it('is missing without a rehearsal of its runbook (live nights and other runbooks do not count), within 14 days by default', () => {
    expect(criterion).toEqual({ id: 'rehearsal', runbookId: 'night-LAB', withinDays: 14 });
    expect(evaluate([run('night', { mode: 'live' }), run('other', { runbookId: 'night-RAD' })])).toMatchObject({
      value: null,
      verdict: 'missing',
      rehearsals: { qualifying: [], notQualifying: [] },
    });
  });

  it('fails naming why each rehearsal did not qualify; passes with the newest that did', () => {
    const failing = [
      run('too-long', { minutesOverWindow: 25 }),
      run('too-old', { startMs: now - 15 * DAY }),
      run('unfinished', { status: 'running', validationsNotPassed: 2 }),
    ];
    expect(evaluate(failing)).toMatchObject({
      value: false,
      verdict: 'fail',
      rehearsals: {
        qualifying: [],
        notQualifying: [
          { runId: 'too-long', why: ['25 minutes over the window'] },
          { runId: 'too-old', why: ['older than 14 days'] },
          { runId: 'unfinished', why: ['not finished', '2 validations not passed'] },
        ],
      },
    });
    const passing = evaluate([...failing, run('dress-1', { startMs: now - 5 * DAY }), run('dress-2', { startMs: now - DAY })]);
    expect(passing).toMatchObject({ value: true, verdict: 'pass', rehearsals: { qualifying: ['dress-2', 'dress-1'] } });
    // Exactly 14 days old still counts.
    expect(evaluate([run('edge', { startMs: now - 14 * DAY })]).verdict).toBe('pass');
  });

  it('is refused in a plan without its runbook id, or with more than 90 days', () => {
    expect(Criterion.safeParse({ id: 'rehearsal' }).success).toBe(false);
    expect(Criterion.safeParse({ id: 'rehearsal', runbookId: 'night-LAB', withinDays: 91 }).success).toBe(false);
  });
});
