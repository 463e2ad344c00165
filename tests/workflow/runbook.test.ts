import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPerson } from '../../app/people';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { Runbook, type RunbookInput, type RunbookTaskInput } from '../../domain/runbook';
import { checkOffUpdate, runbookRunQuery, type CheckOffInput, type RunbookRunInput, type RunbookRunView } from '../../domain/runbook-run';
import type { Actor } from '../../domain/people';
import type { runbookRunWorkflow } from '../../workflows';
import { lead, programTestBed, type ProgramTestBed } from '../helpers/program';
import { uniqueSuffix } from '../helpers/temporal';

type Run = WorkflowHandle<typeof runbookRunWorkflow>;
const MIN = 60_000;

let bed: ProgramTestBed;
const plan = parsePlan(testPlan());
const nurse: Actor = { personId: 'p-rb-nurse', roles: ['viewer'] };
const doctor: Actor = { personId: 'p-rb-doctor', roles: ['viewer'] };
const stranger: Actor = { personId: 'p-rb-stranger', roles: ['oncall'] };

beforeAll(async () => {
  bed = await programTestBed('runbook');
  for (const id of ['p-rb-nurse', 'p-rb-doctor', 'p-rb-stranger', 'p-rb-rehearsal', 'p-lead-01'])
    await addPerson(bed.db.pool, { id, displayName: `Staff ${id.slice(5)}`, email: `${id}@hospital.test`, roles: ['viewer'] });
});
afterAll(() => bed?.close());

const task = (id: string, predecessors: string[], plannedMinutes: number, extra: Partial<RunbookTaskInput> = {}): RunbookTaskInput => ({
  id,
  kind: 'manual',
  title: `Task ${id}`,
  owner: { person: 'p-rb-nurse' },
  predecessors,
  plannedMinutes,
  ...extra,
});

async function start(
  rb: Omit<RunbookInput, 'id' | 'title' | 'window'> & Partial<RunbookInput>,
  extra: Partial<RunbookRunInput> = {},
): Promise<Run> {
  const runbook = Runbook.parse({ id: 'night', title: 'Pilot night', window: { start: '23:30', minutes: 330 }, ...rb });
  const programId = `rb-${uniqueSuffix()}`;
  const lab = plan.departments.find((d) => d.code === 'LAB')!;
  const adapterSteps = Object.fromEntries(
    runbook.tasks
      .filter((t) => t.kind === 'adapter-step')
      .map((t) => [t.id, { department: 'LAB', step: lab.steps.find((s) => s.id === t.step)!, adapter: plan.adapters[0]! }]),
  );
  const now = await bed.env.currentTimeMs();
  const input: RunbookRunInput = {
    programId,
    runId: 'night-1',
    mode: 'live',
    runbook,
    timeZone: plan.hospital.timeZone,
    // A window that opened a minute ago, so tasks start at once (fixed-time tests name their own date).
    startDate: undefined,
    adapterSteps,
    rotas: {},
    escalation: plan.escalation,
    rehearsalRecipients: ['p-rb-rehearsal'],
    ...extra,
  };
  if (!extra.startDate) {
    const local = new Date(now + 8 * 3600_000 - MIN); // Asia/Shanghai is UTC+8 all year
    input.startDate = local.toISOString().slice(0, 10);
    input.runbook = { ...runbook, window: { ...runbook.window, start: local.toISOString().slice(11, 16) } };
  }
  return bed.env.client.workflow.start<typeof runbookRunWorkflow>('runbookRunWorkflow', {
    workflowId: `runbook:${programId}:night-1`,
    taskQueue: bed.taskQueue,
    args: [input],
  });
}

const view = (h: Run) => h.query(runbookRunQuery);
const checkOff = (h: Run, actor: Actor, t: string, extra: Partial<CheckOffInput> = {}) =>
  h.executeUpdate(checkOffUpdate, { args: [{ actor, task: t, channel: 'command-center', ...extra }] });
async function until(h: Run, predicate: (v: RunbookRunView) => boolean): Promise<RunbookRunView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await view(h);
    if (predicate(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${v.tasks.map((t) => `${t.id}:${t.status}`).join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/**
 * Waits until no activity of the run is in flight: skipping time while one is (an e-mail on its
 * way) times it out on the server's clock, and the sleep waits for its retries.
 */
async function idle(h: Run) {
  for (let quiet = 0; quiet < 2;) {
    const d = await h.describe();
    quiet = (d.raw.pendingActivities ?? []).length === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}
/**
 * Moves the test server's clock by `ms`, once the run is idle. Done when the clock got there: the
 * sleep's own answer sometimes never comes once a timer it crossed started activities (the clock
 * has moved all the same).
 */
const sleep = async (h: Run, ms: number) => {
  await idle(h);
  const target = (await bed.env.currentTimeMs()) + ms;
  const slept = bed.env.sleep(ms).then(
    () => true,
    () => true,
  );
  while (!(await Promise.race([slept, new Promise((r) => setTimeout(() => r(false), 100))])))
    if ((await bed.env.currentTimeMs()) >= target) return;
};
const state = (v: RunbookRunView, id: string) => v.tasks.find((t) => t.id === id)!;
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
};

describe('runbook run', () => {
  it('runs a 200-task DAG to its end: adapter steps start themselves, people check off the rest', async () => {
    // 11 lanes of 18 tasks between a kick-off and an end; each lane's task i also waits for the
    // lane before's task i (a mesh, as teams hand over on the night).
    const kinds = ['manual', 'notification', 'validation', 'milestone', 'paper', 'manual'] as const;
    const tasks: RunbookTaskInput[] = [task('kickoff', [], 0, { kind: 'milestone' })];
    for (let lane = 0; lane < 11; lane++)
      for (let i = 0; i < 18; i++) {
        const preds = [i === 0 ? 'kickoff' : `l${lane}-t${i - 1}`, ...(lane > 0 && i % 3 === 2 ? [`l${lane - 1}-t${i}`] : [])];
        const kind = lane === 0 && i < 3 ? 'adapter-step' : kinds[(lane + i) % kinds.length]!;
        tasks.push(
          task(`l${lane}-t${i}`, preds, 5 + ((lane * 7 + i) % 20), {
            kind,
            step: kind === 'adapter-step' ? ['grant-access', 'route-interfaces', 'switch-analyzer-feed'][i] : undefined,
            department: 'LAB',
          }),
        );
      }
    tasks.push(
      task(
        'end',
        Array.from({ length: 11 }, (_, l) => `l${l}-t17`),
        0,
        { kind: 'milestone' },
      ),
    );
    expect(tasks).toHaveLength(200);
    const h = await start({ tasks });
    let v = await view(h);
    expect(v.schedule.criticalPath[0]).toBe('kickoff');
    expect(v.schedule.criticalPath.at(-1)).toBe('end');
    let checked = 0;
    while (v.status !== 'finished') {
      const ready = v.tasks.filter((t) => t.status === 'ready' && ['manual', 'validation', 'paper'].includes(t.kind));
      for (const t of ready) {
        const extra: Partial<CheckOffInput> =
          t.kind === 'validation'
            ? { result: 'pass', evidence: `ticket-${t.id}` }
            : t.kind === 'paper'
              ? { actor: lead, channel: 'paper', onPaper: { personId: 'p-rb-nurse', atMs: await bed.env.currentTimeMs() } }
              : {};
        await checkOff(h, extra.actor ?? nurse, t.id, extra);
        checked++;
      }
      v =
        ready.length > 0
          ? await view(h)
          : await until(
              h,
              (x) =>
                x.status === 'finished' ||
                x.tasks.some((t) => t.status === 'ready' && t !== undefined && ['manual', 'validation', 'paper'].includes(t.kind)),
            );
    }
    const result = await h.result();
    expect(result.tasks.every((t) => t.status === 'done')).toBe(true);
    expect(checked).toBe(result.tasks.filter((t) => ['manual', 'validation', 'paper'].includes(t.kind)).length);
    // Every task started after its predecessors were done.
    for (const t of result.tasks) for (const p of t.predecessors) expect(t.readyAtMs!).toBeGreaterThanOrEqual(state(result, p).doneAtMs!);
    // The adapter steps really ran, through the simulated systems.
    const calls = await bed.db.pool.query('SELECT step_id FROM simulated_system_call WHERE program_id = $1 AND applied ORDER BY step_id', [
      result.programId,
    ]);
    expect(calls.rows.map((r) => r.step_id)).toEqual(['grant-access', 'route-interfaces', 'switch-analyzer-feed']);
    const audit = await bed.db.pool.query(
      `SELECT action, count(*)::int AS n FROM audit_log WHERE target->>'programId' = $1 GROUP BY action ORDER BY action`,
      [result.programId],
    );
    expect(Object.fromEntries(audit.rows.map((r) => [r.action, r.n]))).toEqual({
      'runbook.run-finished': 1,
      'runbook.run-started': 1,
      'runbook.task-checked-off': checked,
    });
  });

  it('escalates a critical task that runs late, once, on the plan ladder, and tells its owner', async () => {
    const h = await start({ tasks: [task('convert-census', [], 30), task('end', ['convert-census'], 0, { kind: 'milestone' })] });
    await until(h, (v) => state(v, 'convert-census').status === 'ready');
    await sleep(h, 39 * MIN);
    expect((await view(h)).escalations).toEqual([]);
    await sleep(h, 2 * MIN);
    const v = await until(h, (x) => x.escalations.length > 0);
    expect(v.escalations).toMatchObject([{ taskId: 'convert-census', raised: true }]);
    const raised = bed.raised.filter((r) => r.programId === v.programId);
    expect(raised).toMatchObject([{ condition: 'runbook-task-late', severity: 'sev2', departments: [], counts: { minutesOverdue: 10 } }]);
    const mails = await bed.smtp.waitFor((ms) =>
      ms.some((m) => m.subject.includes(`${v.programId}: runbook task convert-census is 10 min late`)),
    );
    expect(mails.find((m) => m.subject.includes(`${v.programId}: runbook task convert-census is 10 min late`))!.to).toEqual([
      'p-rb-nurse@hospital.test',
    ]);
    await sleep(h, 60 * MIN);
    expect(bed.raised.filter((r) => r.programId === v.programId)).toHaveLength(1);
    await checkOff(h, nurse, 'convert-census');
    expect((await h.result()).status).toBe('finished');
  });

  it('holds a fixed-time task until its local time across a DST change, and only then tells its owner', async () => {
    // New York springs forward at 02:00 on 2027-03-14: 03:15 EDT is 2 h 45 min after 23:30 EST.
    const h = await start(
      {
        tasks: [
          task('freeze', [], 10),
          task('print-mar', ['freeze'], 10, { notBefore: { day: 1, time: '03:15' } }),
          task('end', ['print-mar'], 0, { kind: 'milestone' }),
        ],
      },
      { timeZone: 'America/New_York', startDate: '2027-03-13' },
    );
    const windowOpens = Date.parse('2027-03-14T04:30:00Z');
    await sleep(h, windowOpens - (await bed.env.currentTimeMs()) + 1000);
    await until(h, (v) => state(v, 'freeze').status === 'ready');
    await checkOff(h, nurse, 'freeze');
    // Well past the fixed time: it became ready at 03:15 EDT (07:15 UTC), not when freeze was done
    // (23:30 EST) nor an hour off (as a time computed with the evening's offset would be).
    await sleep(h, 3 * 3600_000);
    const v = await until(h, (x) => state(x, 'print-mar').status === 'ready');
    expect(state(v, 'freeze').doneAtMs).toBeLessThan(Date.parse('2027-03-14T05:00:00Z'));
    const fixed = Date.parse('2027-03-14T07:15:00Z');
    expect(state(v, 'print-mar').readyAtMs).toBeGreaterThanOrEqual(fixed);
    expect(state(v, 'print-mar').readyAtMs).toBeLessThan(fixed + 1000); // the timer's own few milliseconds
    const mails = await bed.smtp.waitFor((ms) => ms.some((m) => m.subject.includes(`${v.programId}: runbook task print-mar is yours now`)));
    expect(mails.find((m) => m.subject.includes(`${v.programId}: runbook task print-mar`))!.text).toContain(
      'Since: 2027-03-14 03:15 America/New_York',
    );
    await checkOff(h, nurse, 'print-mar');
    await h.result();
  });

  it('a two-person task needs two different people; the wrong person, a stranger task and a paper entry without a lead are refused', async () => {
    const h = await start({
      tasks: [
        task('sign-orders', [], 20, { signOff: 2, owner: { person: 'p-rb-doctor' } }),
        task('end', ['sign-orders'], 0, { kind: 'milestone' }),
      ],
    });
    await until(h, (v) => state(v, 'sign-orders').status === 'ready');
    expect(await refusal(checkOff(h, stranger, 'sign-orders'))).toEqual({
      type: 'NotAllowed',
      message: 'task sign-orders is not yours: its owners check it off',
    });
    expect(await refusal(checkOff(h, nurse, 'no-such-task'))).toEqual({
      type: 'InvalidInput',
      message: 'task: no task no-such-task in this runbook',
    });
    expect(
      await refusal(checkOff(h, doctor, 'sign-orders', { channel: 'paper', onPaper: { personId: 'p-rb-doctor', atMs: 0 } })),
    ).toMatchObject({
      type: 'NotAllowed',
    });
    expect(await checkOff(h, doctor, 'sign-orders')).toMatchObject({ status: 'ready', signOffs: [{ personId: 'p-rb-doctor' }] });
    expect(await refusal(checkOff(h, doctor, 'sign-orders'))).toEqual({
      type: 'InvalidState',
      message: 'the second signature of a two-person task is another person',
    });
    // The lead signs as the second person (the command center acting for the team on the floor).
    expect(await checkOff(h, lead, 'sign-orders')).toMatchObject({ status: 'done' });
    expect(await refusal(checkOff(h, lead, 'sign-orders'))).toMatchObject({
      type: 'InvalidState',
      message: 'task sign-orders is done already',
    });
    await h.result();
  });

  it('a rehearsal mails only its own list, marked, dry-runs the adapters and raises no incident', async () => {
    const h = await start(
      {
        tasks: [
          task('grant', [], 5, { kind: 'adapter-step', step: 'grant-access' }),
          task('walk-printers', ['grant'], 30),
          task('end', ['walk-printers'], 0, { kind: 'milestone' }),
        ],
      },
      { mode: 'rehearsal', speed: 10 },
    );
    const v0 = await until(h, (v) => state(v, 'walk-printers').status === 'ready');
    expect(state(v0, 'grant').status).toBe('done');
    await sleep(h, 5 * MIN); // 30 + 10 minutes at 10 times: late after 4 minutes
    const v = await until(h, (x) => x.escalations.length > 0);
    expect(v.escalations).toMatchObject([{ taskId: 'walk-printers', raised: false }]);
    await checkOff(h, nurse, 'walk-printers');
    await h.result();
    expect(bed.raised.filter((r) => r.programId === v.programId)).toEqual([]);
    const calls = await bed.db.pool.query('SELECT count(*)::int AS n FROM simulated_system_call WHERE program_id = $1', [v.programId]);
    expect(calls.rows[0].n).toBe(0);
    const mails = await bed.smtp.waitFor((ms) => ms.filter((m) => m.subject.includes(v.programId)).length >= 2);
    const ours = mails.filter((m) => m.subject.includes(v.programId));
    expect(ours.map((m) => m.to)).toEqual(ours.map(() => ['p-rb-rehearsal@hospital.test']));
    expect(ours.every((m) => m.subject.startsWith('[golive REHEARSAL]') && m.text.startsWith('REHEARSAL:'))).toBe(true);
  });
});
