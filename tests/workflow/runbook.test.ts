/**
 * Runbook runs on one time-skipping server: these tests keep its clock locked between steps. The
 * escalation test comes last: a sleep that crosses a timer which starts activities sometimes never
 * answers (the clock has moved all the same), and the server's clock then runs free for the tests
 * after it. The tests that only look at timers' own times are in runbook-clock.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckOffInput } from '../../domain/runbook-run';
import type { ProgramTestBed } from '../helpers/program';
import { lead } from '../helpers/program';
import { doctor, MIN, nurse, refusal, runbookTestBed, state, stranger, task } from '../helpers/runbook';
import type { RunbookTaskInput } from '../../domain/runbook';

let rb: Awaited<ReturnType<typeof runbookTestBed>>;
let bed: ProgramTestBed;
let start: typeof rb.start, view: typeof rb.view, checkOff: typeof rb.checkOff, until: typeof rb.until, sleep: typeof rb.sleep;

beforeAll(async () => {
  rb = await runbookTestBed('runbook');
  ({ bed, start, view, checkOff, until, sleep } = rb);
});
afterAll(() => bed?.close());

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
      ms.some((m) => m.subject.includes(`${v.programId}: runbook task convert-census is 10 minutes late`)),
    );
    expect(mails.find((m) => m.subject.includes(`${v.programId}: runbook task convert-census is 10 minutes late`))!.to).toEqual([
      'p-rb-nurse@hospital.test',
    ]);
    await sleep(h, 60 * MIN);
    expect(bed.raised.filter((r) => r.programId === v.programId)).toHaveLength(1);
    await checkOff(h, nurse, 'convert-census');
    expect((await h.result()).status).toBe('finished');
  });
});
