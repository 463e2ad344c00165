import { describe, expect, it } from 'vitest';
import { wantsCheckLink } from '../../app/check-links';
import { tasksWaitingFor } from '../../domain/my-tasks';
import type { RunbookRunView } from '../../domain/runbook-run';

const task = (id: string, extra: Partial<RunbookRunView['tasks'][number]>): RunbookRunView['tasks'][number] => ({
  id,
  kind: 'manual',
  title: `Task ${id}`,
  owner: { person: 'nurse' },
  predecessors: [],
  plannedMinutes: 10,
  signOff: 1,
  status: 'ready',
  owners: ['nurse'],
  signOffs: [],
  ...extra,
});

const times = (id: string, finish: number, critical = false) => ({
  id,
  plannedStartMs: 0,
  plannedFinishMs: finish,
  forecastStartMs: 0,
  forecastFinishMs: finish,
  slackMs: 0,
  critical,
  overrunMinutes: 0,
});

const view = (tasks: RunbookRunView['tasks']): RunbookRunView => ({
  programId: 'p',
  runId: 'night',
  runbookId: 'rb',
  mode: 'live',
  speed: 1,
  startMs: 0,
  status: 'running',
  tasks,
  schedule: {
    tasks: tasks.map((t, i) => times(t.id, (i + 1) * 1000, i === 0)),
    criticalPath: [],
    plannedEndMs: 0,
    forecastEndMs: 0,
    windowEndMs: 0,
    minutesOverWindow: 0,
  },
  escalations: [],
});

describe('my tasks', () => {
  it("lists a person's ready tasks that people finish, not yet signed by them, with due time and criticality", () => {
    const v = view([
      task('mine', {}),
      task('signed-by-me', { signOff: 2, signOffs: [{ personId: 'nurse', channel: 'email-link', atMs: 1 }] }),
      task('half-signed', { signOff: 2, signOffs: [{ personId: 'doctor', channel: 'command-center', atMs: 1 }] }),
      task('someone-elses', { owners: ['doctor'] }),
      task('waiting', { status: 'waiting', owners: [] }),
      task('done', { status: 'done' }),
      task('adapter', { kind: 'adapter-step', status: 'running', step: 's' }),
      task('failed-check', { kind: 'validation', status: 'failed', result: 'fail' }),
      task('failed-manual', { status: 'failed' }),
    ]);
    const mine = tasksWaitingFor(v, 'nurse');
    expect(mine.map((t) => t.taskId)).toEqual(['mine', 'half-signed', 'failed-check']);
    expect(mine[0]).toMatchObject({ programId: 'p', runId: 'night', mode: 'live', dueMs: 1000, critical: true, signatures: 0 });
    expect(mine[1]).toMatchObject({ signOff: 2, signatures: 1, critical: false });
    expect(tasksWaitingFor(v, 'stranger')).toEqual([]);
  });

  it('check-off links go with the notices of open tasks that people finish', () => {
    const m = { template: 'runbook-task', event: 'ready', taskKind: 'manual' };
    expect(wantsCheckLink(m)).toBe(true);
    expect(wantsCheckLink({ ...m, event: 'late', taskKind: 'validation' })).toBe(true);
    expect(wantsCheckLink({ ...m, taskKind: 'paper' })).toBe(true);
    expect(wantsCheckLink({ ...m, event: 'failed' })).toBe(false);
    expect(wantsCheckLink({ ...m, event: 'notification', taskKind: 'notification' })).toBe(false);
    expect(wantsCheckLink({ ...m, taskKind: 'adapter-step' })).toBe(false);
    expect(wantsCheckLink({ template: 'incident' })).toBe(false);
  });
});
