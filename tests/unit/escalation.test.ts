import { describe, expect, it } from 'vitest';
import { advance, Code, EscalationPolicy, IncidentInput, ladderSchedule, onCallAt, Rota, startPosition } from '../../domain/escalation';
import { workflowIds } from '../../domain/ids';

const MIN = 60_000;
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

const rota = Rota.parse({
  timeZone: 'Asia/Shanghai',
  shifts: [
    { day: 'mon', from: '08:00', people: ['ann'] },
    { day: 'mon', from: '20:00', people: ['bob'] },
    { day: 'tue', from: '00:00', people: ['cho'] },
    { day: 'tue', from: '08:00', people: ['dan', 'eve'] },
    { day: 'sun', from: '20:00', people: ['fay'] },
  ],
});

describe('onCallAt', () => {
  it('follows the hand-overs in hospital-local time, including midnight', () => {
    // 2026-03-02 is a Monday.
    expect(onCallAt(rota, shanghai('2026-03-02T08:00:00')).people).toEqual(['ann']);
    expect(onCallAt(rota, shanghai('2026-03-02T19:59:00')).people).toEqual(['ann']);
    expect(onCallAt(rota, shanghai('2026-03-02T20:00:00')).people).toEqual(['bob']);
    expect(onCallAt(rota, shanghai('2026-03-02T23:59:00')).people).toEqual(['bob']);
    expect(onCallAt(rota, shanghai('2026-03-03T00:00:00'))).toEqual({ people: ['cho'], shift: { day: 'tue', from: '00:00' } });
    expect(onCallAt(rota, shanghai('2026-03-03T08:00:00')).people).toEqual(['dan', 'eve']);
    // The last shift of the week runs over into the next week until Monday 08:00.
    expect(onCallAt(rota, shanghai('2026-03-06T12:00:00')).people).toEqual(['dan', 'eve']);
    expect(onCallAt(rota, shanghai('2026-03-08T21:00:00')).people).toEqual(['fay']);
    expect(onCallAt(rota, shanghai('2026-03-09T07:59:00')).people).toEqual(['fay']);
  });

  it('reads the same instant in the rota zone, not the server zone', () => {
    // 2026-03-02T16:30Z is 00:30 Tuesday in Shanghai but still Monday in London.
    expect(onCallAt(rota, Date.parse('2026-03-02T16:30:00Z')).people).toEqual(['cho']);
    const london = Rota.parse({ ...rota, timeZone: 'Europe/London' });
    expect(onCallAt(london, Date.parse('2026-03-02T16:30:00Z')).people).toEqual(['ann']);
  });

  it('refuses two shifts starting at the same time, bad times and unknown zones', () => {
    const r = Rota.safeParse({
      timeZone: 'Mars/Olympus',
      shifts: [
        { day: 'mon', from: '24:00', people: ['a1'] },
        { day: 'mon', from: '24:00', people: ['b1'] },
      ],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['shifts', 'shifts.0.from', 'shifts.1.from', 'timeZone']);
  });
});

const policy = EscalationPolicy.parse({
  timeZone: 'Asia/Shanghai',
  levels: [{ people: ['l1'] }, { people: ['l2'], ackTimeoutMinutes: 30 }, { people: ['l3'] }],
  repeats: 2,
  leadership: ['boss'],
});

describe('ladder timing', () => {
  it('defaults: 15 minutes per level, 1 hour to resolve, sev1 starts at level 2 with leadership at once', () => {
    expect(policy.levels.map((l) => l.ackTimeoutMinutes)).toEqual([15, 30, 15]);
    expect(policy.resolutionTimeoutMinutes).toBe(60);
    expect(policy.severities.sev1).toEqual({ startLevel: 2, leadershipAtOnce: true });
    expect(startPosition(policy, 'sev1')).toEqual({ round: 1, level: 2 });
    expect(startPosition(policy, 'sev4')).toEqual({ round: 1, level: 1 });
  });

  it('schedules every level of every round, leadership when the ladder tops out', () => {
    expect(
      ladderSchedule(policy, 'sev2').map((s) => [s.round, s.level, s.atMs / MIN, s.topAtMs === undefined ? null : s.topAtMs / MIN]),
    ).toEqual([
      [1, 1, 0, null],
      [1, 2, 15, null],
      [1, 3, 45, 60],
      [2, 1, 60, null],
      [2, 2, 75, null],
      [2, 3, 105, 120],
      [3, 1, 120, null],
      [3, 2, 135, null],
      [3, 3, 165, 180],
    ]);
  });

  it('a sev1 climbs from level 2 in every round', () => {
    expect(ladderSchedule(policy, 'sev1').map((s) => `${s.round}.${s.level}@${s.atMs / MIN}`)).toEqual([
      '1.2@0',
      '1.3@30',
      '2.2@45',
      '2.3@75',
      '3.2@90',
      '3.3@120',
    ]);
  });

  it('climbs again from the level after the owner: from the last level it tops out first', () => {
    expect(advance(policy, 'sev2', { round: 1, level: 2 })).toEqual({ next: { round: 1, level: 3 }, toppedOut: false });
    expect(advance(policy, 'sev2', { round: 1, level: 3 })).toEqual({ next: { round: 2, level: 1 }, toppedOut: true });
    expect(advance(policy, 'sev2', { round: 3, level: 3 })).toEqual({ next: null, toppedOut: true });
  });

  it('repeats at most 9 times; a level needs people or a rota', () => {
    expect(EscalationPolicy.safeParse({ ...policy, repeats: 10 }).success).toBe(false);
    expect(EscalationPolicy.safeParse({ ...policy, repeats: 9 }).success).toBe(true);
    expect(EscalationPolicy.safeParse({ ...policy, levels: [{ people: [] }] }).error?.issues[0]?.message).toBe(
      'a level needs people or a rota',
    );
  });
});

describe('incident identity', () => {
  it('one workflow id per program, condition and department', () => {
    expect(workflowIds.incident('prog-a', 'step-failed', 'ICU')).toBe('incident:prog-a:step-failed:ICU');
    expect(() => workflowIds.incident('prog a', 'step-failed', 'all')).toThrow();
  });

  it('codes cannot carry record numbers or names', () => {
    expect(Code.safeParse('MRN-00012345').success).toBe(false);
    expect(Code.safeParse('张伟').success).toBe(false);
    expect(Code.safeParse('ICU-2').success).toBe(true);
    const bad = IncidentInput.safeParse({
      raiseId: crypto.randomUUID(),
      programId: 'p1',
      departments: ['MRN-00012345'],
      condition: 'adapter said 张伟',
      severity: 'sev2',
      policy,
      raisedBy: 'x',
    });
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['condition', 'departments.0']);
  });
});
