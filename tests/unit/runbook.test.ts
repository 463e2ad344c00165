import { describe, expect, it } from 'vitest';
import { Runbook, topologicalOrder, type RunbookInput, type RunbookTaskInput } from '../../domain/runbook';
import { lateCriticalTasks, notBeforeInstants, schedule } from '../../domain/runbook-schedule';
import { localDateTimeToMs } from '../../domain/rules/time';

const MIN = 60_000;
const task = (id: string, predecessors: string[], plannedMinutes: number, extra: Partial<RunbookTaskInput> = {}): RunbookTaskInput => ({
  id,
  kind: 'manual',
  title: `Task ${id}`,
  owner: { person: 'p-lead-01' },
  predecessors,
  plannedMinutes,
  ...extra,
});
const night = (tasks: RunbookTaskInput[], extra: Partial<RunbookInput> = {}): RunbookInput => ({
  id: 'pilot-night',
  title: 'Pilot night',
  window: { start: '23:30', minutes: 330 },
  tasks,
  ...extra,
});
const issues = (input: RunbookInput) => {
  const r = Runbook.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('runbook graph rules', () => {
  it('accepts a diamond that ends in one milestone', () => {
    expect(
      issues(night([task('a', [], 10), task('b', ['a'], 20), task('c', ['a'], 5), task('end', ['b', 'c'], 0, { kind: 'milestone' })])),
    ).toEqual([]);
  });

  it('names a cycle by its tasks, a stranger predecessor and a repeated id by their fields', () => {
    expect(
      issues(night([task('a', ['c'], 1), task('b', ['a'], 1), task('c', ['b'], 1), task('end', ['c'], 0, { kind: 'milestone' })])),
    ).toEqual([{ path: 'tasks.0.predecessors', message: 'the tasks a -> b -> c -> a wait for each other' }]);
    expect(issues(night([task('a', ['ghost'], 1), task('end', ['a'], 0, { kind: 'milestone' })]))).toEqual([
      { path: 'tasks.0.predecessors.0', message: 'no task ghost in this runbook' },
    ]);
    expect(issues(night([task('a', [], 1), task('a', [], 1), task('end', ['a'], 0, { kind: 'milestone' })]))[0]).toEqual({
      path: 'tasks.1.id',
      message: 'task a appears twice',
    });
  });

  it('refuses a task with no path to the end, an end that is no milestone, and two signatures on a self-finishing task', () => {
    expect(issues(night([task('a', [], 1), task('stray', [], 1), task('end', ['a'], 0, { kind: 'milestone' })]))).toEqual([
      { path: 'tasks', message: 'one task must end the runbook; nothing follows stray, end' },
    ]);
    expect(issues(night([task('a', [], 1), task('b', ['a'], 1)]))).toEqual([
      { path: 'tasks.1.kind', message: 'the task that ends the runbook is a milestone' },
    ]);
    expect(
      issues(night([task('a', [], 1, { kind: 'milestone', signOff: 2 }), task('end', ['a'], 0, { kind: 'milestone' })]))[0]!.path,
    ).toBe('tasks.0.signOff');
  });

  it('an empty runbook is refused by its length alone (found by the contract test: it was a 500)', () => {
    expect(issues(night([]))).toEqual([{ path: 'tasks', message: 'Too small: expected array to have >=1 items' }]);
  });

  it('refuses a title that looks like a record number, naming the field', () => {
    expect(issues(night([task('a', [], 1, { title: 'Convert MRN-00012345' }), task('end', ['a'], 0, { kind: 'milestone' })]))).toEqual([
      { path: 'tasks.0.title', message: 'must not hold a run of five or more digits (that looks like a record number)' },
    ]);
  });

  it('refuses a blank title by a named rule (a newline is a string of length 1; the contract test found it)', () => {
    const r = Runbook.safeParse(night([task('a', [], 1, { title: '\n ' }), task('end', ['a'], 0, { kind: 'milestone' })]));
    expect(r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), (i as { params?: { rule?: string } }).params?.rule])).toEqual([
      ['tasks.0.title', 'not-blank'],
    ]);
  });

  it('orders 2,000 chained tasks without overflowing the stack', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => task(`t${i}`, i === 0 ? [] : [`t${i - 1}`], 1));
    tasks[1999] = { ...tasks[1999]!, kind: 'milestone' };
    const rb = Runbook.parse(night(tasks));
    expect(topologicalOrder(rb.tasks).slice(0, 3)).toEqual(['t0', 't1', 't2']);
  });
});

describe('runbook schedule', () => {
  const rb = Runbook.parse(
    night([
      task('a', [], 30),
      task('b', ['a'], 60),
      task('c', ['a'], 20),
      task('d', ['c'], 10),
      task('end', ['b', 'd'], 0, { kind: 'milestone' }),
    ]),
  );
  const start = Date.UTC(2026, 2, 1, 15, 30);

  it('plans from the window start: the longest chain is critical, the others have slack', () => {
    const s = schedule({ runbook: rb, startMs: start, notBefore: {}, progress: {}, nowMs: start });
    expect(s.criticalPath).toEqual(['a', 'b', 'end']);
    expect(s.plannedEndMs - start).toBe(90 * MIN);
    expect(s.tasks.find((t) => t.id === 'c')!.slackMs).toBe(30 * MIN);
    expect(s.minutesOverWindow).toBe(90 - 330);
  });

  it('forecasts from actual times: a slow side branch becomes the critical path and the end moves', () => {
    const progress = {
      a: { readyAtMs: start, doneAtMs: start + 30 * MIN },
      b: { readyAtMs: start + 30 * MIN, doneAtMs: start + 90 * MIN },
      c: { readyAtMs: start + 30 * MIN },
    };
    const now = start + 130 * MIN; // c planned 20 min, running 100
    const s = schedule({ runbook: rb, startMs: start, notBefore: {}, progress, nowMs: now });
    expect(s.criticalPath).toEqual(['a', 'c', 'd', 'end']);
    expect(s.forecastEndMs).toBe(now + 10 * MIN);
    expect(s.tasks.find((t) => t.id === 'c')!.overrunMinutes).toBe(80);
    expect(lateCriticalTasks(s, 10).map((t) => t.id)).toEqual(['c']);
    // d waits for c: it starts when c is done (now, at the earliest) and b, done on time, has slack.
    expect(s.tasks.find((t) => t.id === 'd')!.forecastStartMs).toBe(now);
    expect(s.tasks.find((t) => t.id === 'b')!.slackMs).toBe(now + 10 * MIN - (start + 90 * MIN));
  });

  it('keeps done tasks on the critical path though each was made ready a moment after its predecessor was checked off', () => {
    // As a run records them: the next task is ready some hundred milliseconds after the check-off.
    const lag = 350;
    const progress = {
      a: { readyAtMs: start, doneAtMs: start + 30 * MIN },
      b: { readyAtMs: start + 30 * MIN + lag, doneAtMs: start + 95 * MIN },
      c: { readyAtMs: start + 30 * MIN + lag, doneAtMs: start + 40 * MIN },
      d: { readyAtMs: start + 40 * MIN + lag, doneAtMs: start + 50 * MIN },
      end: { readyAtMs: start + 95 * MIN + lag, doneAtMs: start + 95 * MIN + lag },
    };
    const s = schedule({ runbook: rb, startMs: start, notBefore: {}, progress, nowMs: start + 100 * MIN });
    expect(s.criticalPath).toEqual(['a', 'b', 'end']);
    // A fixed time that held a task longer than that ends the path there.
    const held = { ...progress, end: { readyAtMs: start + 97 * MIN, doneAtMs: start + 97 * MIN } };
    expect(schedule({ runbook: rb, startMs: start, notBefore: {}, progress: held, nowMs: start + 100 * MIN }).criticalPath).toEqual([
      'end',
    ]);
  });

  it('holds a fixed-time task until its hospital-local time, across a DST change', () => {
    // New York springs forward on 2026-03-08 at 02:00: 01:30 comes before the jump, 03:15 after.
    const tz = 'America/New_York';
    const fixed = Runbook.parse(
      night([
        task('a', [], 10),
        task('b', ['a'], 10, { notBefore: { day: 1, time: '03:15' } }),
        task('end', ['b'], 0, { kind: 'milestone' }),
      ]),
    );
    const startMs = localDateTimeToMs('2026-03-07T23:30', tz);
    const nb = notBeforeInstants(fixed, startMs, tz, '2026-03-07');
    expect(nb.b).toBe(Date.parse('2026-03-08T07:15:00Z')); // 03:15 EDT, UTC-4
    expect(nb.b! - startMs).toBe(2 * 3600_000 + 45 * MIN); // 23:30 EST to 03:15 EDT is 2 h 45 min, not 3 h 45 min
    // a time the jump skips starts at the jump
    const gap = Runbook.parse(
      night([task('a', [], 10, { notBefore: { day: 1, time: '02:30' } }), task('end', ['a'], 0, { kind: 'milestone' })]),
    );
    expect(notBeforeInstants(gap, startMs, tz, '2026-03-07').a).toBe(Date.parse('2026-03-08T07:00:00Z'));
    const s = schedule({ runbook: fixed, startMs, notBefore: nb, progress: {}, nowMs: startMs });
    expect(s.tasks.find((t) => t.id === 'b')!.plannedStartMs).toBe(nb.b);
  });

  it('compresses a rehearsal: durations and fixed times shrink with the speed, overruns count in real minutes', () => {
    const s = schedule({ runbook: rb, startMs: start, notBefore: {}, progress: {}, nowMs: start, speed: 10 });
    expect(s.plannedEndMs - start).toBe(9 * MIN);
    expect(s.windowEndMs - start).toBe(33 * MIN);
    const running = schedule({
      runbook: rb,
      startMs: start,
      notBefore: {},
      progress: { a: { readyAtMs: start } },
      nowMs: start + 5 * MIN,
      speed: 10,
    });
    expect(running.tasks[0]!.overrunMinutes).toBe(20); // 5 compressed minutes = 50 real; planned 30
  });
});
