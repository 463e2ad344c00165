/**
 * Runbook runs whose assertions hold however the test server's clock moves: tasks that start on
 * timers (a fixed time, a rehearsal's lateness) are checked at their timers' own times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgramTestBed } from '../helpers/program';
import { MIN, nurse, runbookTestBed, state, task } from '../helpers/runbook';

let rb: Awaited<ReturnType<typeof runbookTestBed>>;
let bed: ProgramTestBed;
let start: typeof rb.start, checkOff: typeof rb.checkOff, until: typeof rb.until, sleep: typeof rb.sleep;

beforeAll(async () => {
  rb = await runbookTestBed('runbook-clock');
  ({ bed, start, checkOff, until, sleep } = rb);
});
afterAll(() => bed?.close());

describe('runbook run, by the clock', () => {
  it('holds a fixed-time task until its local time across a DST change, and only then tells its owner', async () => {
    // New York springs forward at 02:00 on 2027-03-14: the window opens at 23:30 EST (04:30 UTC)
    // and 03:15 EDT is 07:15 UTC, 2 h 45 min later, not 3 h 45 min. Both tasks start on timers,
    // so their times are exact however the test server's clock moves.
    const h = await start(
      {
        tasks: [
          task('freeze', [], 10),
          task('print-mar', [], 10, { notBefore: { day: 1, time: '03:15' } }),
          task('end', ['freeze', 'print-mar'], 0, { kind: 'milestone' }),
        ],
      },
      { timeZone: 'America/New_York', startDate: '2027-03-13' },
    );
    await sleep(h, Date.parse('2027-03-14T08:00:00Z') - (await bed.env.currentTimeMs()));
    const v = await until(h, (x) => state(x, 'print-mar').status === 'ready');
    const within = (at: number | undefined, iso: string) => {
      expect(at).toBeGreaterThanOrEqual(Date.parse(iso));
      expect(at).toBeLessThan(Date.parse(iso) + 1000); // a timer's own few milliseconds
    };
    within(state(v, 'freeze').readyAtMs, '2027-03-14T04:30:00Z');
    within(state(v, 'print-mar').readyAtMs, '2027-03-14T07:15:00Z');
    const mails = await bed.smtp.waitFor((ms) => ms.some((m) => m.subject.includes(`${v.programId}: runbook task print-mar is yours now`)));
    expect(mails.find((m) => m.subject.includes(`${v.programId}: runbook task print-mar`))!.text).toContain(
      'Since: 2027-03-14 03:15 America/New_York',
    );
    await checkOff(h, nurse, 'freeze');
    await checkOff(h, nurse, 'print-mar');
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
