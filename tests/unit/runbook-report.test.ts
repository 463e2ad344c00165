import { describe, expect, it } from 'vitest';
import { Runbook } from '../../domain/runbook';
import type { RunbookRunView } from '../../domain/runbook-run';
import { qualifyingRehearsals, runbookReport } from '../../domain/runbook-report';
import { schedule } from '../../domain/runbook-schedule';

const MIN = 60_000;
const rb = Runbook.parse({
  id: 'pilot-night',
  title: 'Pilot night',
  window: { start: '23:30', minutes: 120 },
  tasks: [
    { id: 'freeze', kind: 'manual', title: 'Freeze registration', owner: { person: 'p-a' }, plannedMinutes: 30 },
    { id: 'check', kind: 'validation', title: 'Census matches', owner: { person: 'p-a' }, predecessors: ['freeze'], plannedMinutes: 20 },
    { id: 'end', kind: 'milestone', title: 'Done', owner: { person: 'p-a' }, predecessors: ['check'], plannedMinutes: 0 },
  ],
});

/** A finished run in which each task took `real` minutes (of the hospital's clock), at `speed`. */
function finished(
  runId: string,
  real: { freeze: number; check: number },
  opts: { speed?: number; startMs?: number; pass?: boolean } = {},
): RunbookRunView {
  const speed = opts.speed ?? 1;
  const start = opts.startMs ?? Date.UTC(2026, 10, 20, 15, 30);
  const f = start + (real.freeze * MIN) / speed;
  const c = f + (real.check * MIN) / speed;
  const progress = { freeze: { readyAtMs: start, doneAtMs: f }, check: { readyAtMs: f, doneAtMs: c }, end: { readyAtMs: c, doneAtMs: c } };
  return {
    programId: 'p',
    runId,
    runbookId: rb.id,
    mode: 'rehearsal',
    speed,
    startMs: start,
    status: 'finished',
    tasks: rb.tasks.map((t) => ({
      ...t,
      ...progress[t.id as keyof typeof progress],
      status: 'done' as const,
      owners: ['p-a'],
      signOffs: [],
      result: t.kind === 'validation' ? (opts.pass === false ? ('fail' as const) : ('pass' as const)) : undefined,
    })),
    schedule: schedule({ runbook: rb, startMs: start, notBefore: {}, progress, nowMs: c, speed }),
    escalations: [],
  };
}

describe('rehearsal report', () => {
  it('compares each task with its plan and the earlier runs, and proposes durations from the 90th percentile', () => {
    const r = runbookReport(finished('dress-3', { freeze: 50, check: 20 }), [
      finished('dress-1', { freeze: 40, check: 18 }),
      finished('dress-2', { freeze: 44, check: 21 }),
    ]);
    expect(r).toMatchObject({
      plannedMinutes: 50,
      actualMinutes: 70,
      driftMinutes: 20,
      fittedWindow: true,
      earlierRuns: ['dress-1', 'dress-2'],
    });
    expect(r.tasks.find((t) => t.id === 'freeze')).toEqual({
      id: 'freeze',
      plannedMinutes: 30,
      actualMinutes: 50,
      runs: 3,
      medianMinutes: 44,
      p90Minutes: 50,
      proposedMinutes: 50,
      onCriticalPath: true,
    });
    // Within 5 minutes of the plan: no proposal.
    expect(r.tasks.find((t) => t.id === 'check')).toMatchObject({ medianMinutes: 20, p90Minutes: 21, proposedMinutes: null });
  });

  it('reports a compressed rehearsal in real minutes and says it was compressed', () => {
    const r = runbookReport(finished('dress-fast', { freeze: 40, check: 30 }, { speed: 10 }), []);
    expect(r).toMatchObject({ compressed: true, speed: 10, actualMinutes: 70, driftMinutes: 20 });
    expect(r.tasks[0]).toMatchObject({ actualMinutes: 40 });
  });

  it('a dress rehearsal qualifies for readiness when recent, inside its window and with every validation passed', () => {
    const now = Date.UTC(2026, 10, 30);
    const runs = [
      finished('recent-ok', { freeze: 30, check: 20 }, { startMs: now - 3 * 86_400_000 }),
      finished('too-old', { freeze: 30, check: 20 }, { startMs: now - 20 * 86_400_000 }),
      finished('over-window', { freeze: 100, check: 30 }, { startMs: now - 2 * 86_400_000 }),
      finished('failed-check', { freeze: 30, check: 20 }, { startMs: now - 1 * 86_400_000, pass: false }),
      finished('newer-ok', { freeze: 35, check: 20 }, { startMs: now - 1 * 86_400_000 }),
    ];
    expect(qualifyingRehearsals(runs, now, 14)).toEqual(['newer-ok', 'recent-ok']);
  });
});
