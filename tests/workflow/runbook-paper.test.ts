/**
 * Scribe mode: a lead back-enters the night's paper check-offs after the fact. The run keeps the
 * paper's times (its actuals, its followers' starts), the scribe and the moment of entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbookToCsv } from '../../app/runbook-csv';
import type { ProgramTestBed } from '../helpers/program';
import { lead } from '../helpers/program';
import { doctor, MIN, nurse, refusal, runbookTestBed, state, task } from '../helpers/runbook';

let rb: Awaited<ReturnType<typeof runbookTestBed>>;
let bed: ProgramTestBed;

beforeAll(async () => {
  rb = await runbookTestBed('runbook-paper');
  bed = rb.bed;
});
afterAll(() => bed?.close());

describe('scribe mode', () => {
  it("back-enters paper check-offs in the paper's order and times: transcribed, both signatures of a two-person sheet, the actuals from the paper", async () => {
    const { start, checkOff, until, sleep } = rb;
    const h = await start({
      // No escalation while the night runs on paper: the scribe enters it an hour and a half later.
      lateAfterMinutes: 240,
      tasks: [
        task('freeze', [], 30),
        task('sign-orders', ['freeze'], 20, { signOff: 2, owner: { person: 'p-rb-doctor' }, kind: 'paper' }),
        task('end', ['sign-orders'], 0, { kind: 'milestone' }),
      ],
    });
    const t0 = state(await until(h, (v) => state(v, 'freeze').status === 'ready'), 'freeze').readyAtMs!;
    await sleep(h, 90 * MIN);
    const paper = (personId: string, atMs: number, secondPersonId?: string) => ({
      channel: 'paper' as const,
      onPaper: { personId, atMs, ...(secondPersonId ? { secondPersonId } : {}) },
    });

    // A sheet whose predecessors are still in the pile: the scribe is told which to enter first.
    expect(await refusal(checkOff(h, lead, 'sign-orders', paper('p-rb-doctor', t0 + 50 * MIN, 'p-rb-nurse')))).toEqual({
      type: 'InvalidState',
      message: 'task sign-orders is not ready: enter the check-offs of freeze first',
    });
    // Off the script: a time on the paper that has not come yet, a second signature on a one-person
    // task, a scribe who is not a lead.
    const now = await bed.env.currentTimeMs();
    expect(await refusal(checkOff(h, lead, 'freeze', paper('p-rb-nurse', now + 5 * MIN)))).toEqual({
      type: 'InvalidState',
      message: 'onPaper.atMs: the time on the paper is later than now',
    });
    expect((await refusal(checkOff(h, lead, 'freeze', paper('p-rb-nurse', t0 + 20 * MIN, 'p-rb-doctor')))).message).toBe(
      'onPaper.secondPersonId: only a two-person task has a second signature',
    );
    expect((await refusal(checkOff(h, nurse, 'freeze', paper('p-rb-nurse', t0 + 20 * MIN)))).type).toBe('NotAllowed');

    const freeze = await checkOff(h, lead, 'freeze', paper('p-rb-nurse', t0 + 20 * MIN));
    expect(freeze).toMatchObject({
      status: 'done',
      doneAtMs: t0 + 20 * MIN,
      signOffs: [{ personId: 'p-rb-nurse', channel: 'paper', atMs: t0 + 20 * MIN, transcribed: true, transcribedBy: 'p-lead-01' }],
    });
    expect(freeze.signOffs[0]!.enteredAtMs).toBeGreaterThanOrEqual(now);
    // Its follower started when the paper says freeze was done, not when the scribe typed it.
    const v = await until(h, (x) => state(x, 'sign-orders').status === 'ready');
    expect(state(v, 'sign-orders').readyAtMs).toBe(t0 + 20 * MIN);

    expect((await refusal(checkOff(h, lead, 'sign-orders', paper('p-rb-doctor', t0 + 50 * MIN, 'p-rb-doctor')))).message).toBe(
      'onPaper.secondPersonId: the second signature of a two-person task is another person',
    );
    // One sheet, two signatures: entered at once.
    const signed = await checkOff(h, lead, 'sign-orders', paper('p-rb-doctor', t0 + 50 * MIN, 'p-rb-nurse'));
    expect(signed).toMatchObject({
      status: 'done',
      doneAtMs: t0 + 50 * MIN,
      signOffs: [
        { personId: 'p-rb-doctor', channel: 'paper', transcribed: true, transcribedBy: 'p-lead-01' },
        { personId: 'p-rb-nurse', channel: 'paper', transcribed: true, transcribedBy: 'p-lead-01' },
      ],
    });
    expect(await refusal(checkOff(h, doctor, 'sign-orders'))).toMatchObject({ message: 'task sign-orders is done already' });

    const result = await h.result();
    // The night's actuals are the paper's: it ended 50 minutes after it began.
    expect(state(result, 'end').doneAtMs).toBe(t0 + 50 * MIN);
    expect(result.schedule.forecastEndMs).toBe(t0 + 50 * MIN);
    const csv = runbookToCsv(result);
    expect(csv.split('\n')[0]).toContain('status,ready_at,done_at,signatures');
    expect(csv).toContain(
      `p-rb-doctor paper ${new Date(t0 + 50 * MIN).toISOString()} transcribed-by p-lead-01 at ${new Date(signed.signOffs[0]!.enteredAtMs!).toISOString()}`,
    );
    const audit = await bed.db.pool.query(
      `SELECT actor, details FROM audit_log WHERE action = 'runbook.task-checked-off' AND target->>'programId' = $1 ORDER BY seq`,
      [result.programId],
    );
    expect(audit.rows).toMatchObject([
      { actor: 'p-lead-01', details: { channel: 'paper', transcribed: true, signedBy: 'p-rb-nurse', paperAtMs: t0 + 20 * MIN } },
      {
        actor: 'p-lead-01',
        details: { channel: 'paper', transcribed: true, signedBy: 'p-rb-doctor', secondSigner: 'p-rb-nurse', paperAtMs: t0 + 50 * MIN },
      },
    ]);
  });
});
