import { describe, expect, it } from 'vitest';
import {
  businessDayOf,
  businessDayWindow,
  canStartWave,
  decisionDueAt,
  exitGateAllowedAt,
  localDateTimeToMs,
  nextLocalTime,
  parallelRunMinimumEndsAt,
} from '../../domain/rules/time';
import { renderTemplate } from '../../domain/rules/templates';
import { parsePlan } from '../../domain/plan';
import { testPlan } from '../../domain/demo-plans';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const NY = 'America/New_York';
const SH = 'Asia/Shanghai';

describe('nextLocalTime', () => {
  it('spring forward in New York (2026-03-08): 02:00 does not exist, so the jump instant 03:00 EDT', () => {
    const t = nextLocalTime('02:00', NY, at('2026-03-07T12:00:00-05:00'));
    expect(new Date(t).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    // 02:30 does not exist either: the first valid instant after it is also the jump.
    expect(new Date(nextLocalTime('02:30', NY, at('2026-03-07T12:00:00-05:00'))).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    // The night after, 02:00 EDT exists again: 23 hours later.
    const after = nextLocalTime('02:00', NY, t);
    expect(new Date(after).toISOString()).toBe('2026-03-09T06:00:00.000Z');
    expect(after - t).toBe(23 * HOUR);
  });

  it('fall back in New York (2026-11-01): a wall time that occurs twice counts once, at its first occurrence', () => {
    const first = nextLocalTime('01:30', NY, at('2026-10-31T12:00:00-04:00'));
    expect(new Date(first).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    // Between the two 01:30s the next one is tomorrow's, not the repeat an hour later.
    expect(new Date(nextLocalTime('01:30', NY, first)).toISOString()).toBe('2026-11-02T06:30:00.000Z');
    // 02:00 happens once that night, 25 hours after the night before.
    const before = nextLocalTime('02:00', NY, at('2026-10-30T12:00:00-04:00'));
    const fallback = nextLocalTime('02:00', NY, before);
    expect(new Date(fallback).toISOString()).toBe('2026-11-01T07:00:00.000Z');
    expect(fallback - before).toBe(25 * HOUR);
  });

  it('a half-hour offset: Asia/Kolkata (+05:30)', () => {
    expect(new Date(nextLocalTime('02:00', 'Asia/Kolkata', at('2026-03-07T00:00:00Z'))).toISOString()).toBe('2026-03-07T20:30:00.000Z');
    expect(new Date(nextLocalTime('02:00', 'Asia/Kolkata', at('2026-03-06T20:29:59.999Z'))).toISOString()).toBe('2026-03-06T20:30:00.000Z');
  });

  it('is strictly after the given instant', () => {
    const two = at('2026-05-10T02:00:00+08:00');
    expect(nextLocalTime('02:00', SH, two)).toBe(two + 24 * HOUR);
    expect(nextLocalTime('02:00', SH, two - 1)).toBe(two);
  });
});

describe('business days', () => {
  it('businessDayOf is the hospital-local calendar day', () => {
    expect(businessDayOf(at('2026-03-07T18:29:59.999Z'), 'Asia/Kolkata')).toBe('2026-03-07');
    expect(businessDayOf(at('2026-03-07T18:30:00.000Z'), 'Asia/Kolkata')).toBe('2026-03-08');
    expect(businessDayOf(at('2026-03-07T16:00:00.000Z'), SH)).toBe('2026-03-08');
  });

  it('a spring-forward day is 23 hours, a fall-back day 25, an ordinary day 24', () => {
    const [s1, e1] = businessDayWindow('2026-03-08', NY);
    expect([new Date(s1).toISOString(), new Date(e1).toISOString()]).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    expect(e1 - s1).toBe(23 * HOUR);
    const [s2, e2] = businessDayWindow('2026-11-01', NY);
    expect([new Date(s2).toISOString(), new Date(e2).toISOString()]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(e2 - s2).toBe(25 * HOUR);
    const [s3, e3] = businessDayWindow('2026-03-08', 'Asia/Kolkata');
    expect([new Date(s3).toISOString(), e3 - s3]).toEqual(['2026-03-07T18:30:00.000Z', 24 * HOUR]);
  });

  it('round-trips: every instant of the window belongs to that day', () => {
    const [start, end] = businessDayWindow('2026-11-01', NY);
    expect(businessDayOf(start, NY)).toBe('2026-11-01');
    expect(businessDayOf(end - 1, NY)).toBe('2026-11-01');
    expect(businessDayOf(end, NY)).toBe('2026-11-02');
  });

  it('rejects a day that is not a date', () => {
    expect(() => businessDayWindow('2026-02-30', NY)).toThrow('not a date');
  });
});

describe('canStartWave', () => {
  const pilotWindow = {
    startWindows: [{ days: ['tue' as const, 'wed' as const, 'thu' as const], from: '08:00', to: '12:00' }],
    blackouts: [],
  };

  it('no windows, no blackouts: any time', () => {
    expect(canStartWave({ startWindows: [], blackouts: [] }, SH, at('2026-03-14T03:00:00+08:00'))).toEqual({ ok: true });
  });

  it('inside a Tue-Thu 08:00-12:00 window', () => {
    expect(canStartWave(pilotWindow, SH, at('2026-03-10T08:00:00+08:00'))).toEqual({ ok: true });
    expect(canStartWave(pilotWindow, SH, at('2026-03-12T11:59:59+08:00'))).toEqual({ ok: true });
  });

  it('outside the window, with the next allowed start', () => {
    // 12:00 is the (exclusive) end: next is Wednesday 08:00.
    expect(canStartWave(pilotWindow, SH, at('2026-03-10T12:00:00+08:00'))).toEqual({
      ok: false,
      reason: 'outside-start-window',
      nextAllowedAtMs: at('2026-03-11T08:00:00+08:00'),
    });
    // Friday: next Tuesday.
    expect(canStartWave(pilotWindow, SH, at('2026-03-13T09:00:00+08:00'))).toEqual({
      ok: false,
      reason: 'outside-start-window',
      nextAllowedAtMs: at('2026-03-17T08:00:00+08:00'),
    });
    // Early Tuesday: later the same day.
    expect(canStartWave(pilotWindow, SH, at('2026-03-10T07:30:00+08:00'))).toEqual({
      ok: false,
      reason: 'outside-start-window',
      nextAllowedAtMs: at('2026-03-10T08:00:00+08:00'),
    });
  });

  it('in a blackout; the next start skips past it into a window', () => {
    const wave = { ...pilotWindow, blackouts: [{ from: '2026-03-17T00:00', to: '2026-03-18T10:00' }] };
    expect(canStartWave(wave, SH, at('2026-03-17T09:00:00+08:00'))).toEqual({
      ok: false,
      reason: 'in-blackout',
      nextAllowedAtMs: at('2026-03-18T10:00:00+08:00'),
    });
    expect(canStartWave(wave, SH, at('2026-03-13T09:00:00+08:00'))).toEqual({
      ok: false,
      reason: 'outside-start-window',
      nextAllowedAtMs: at('2026-03-18T10:00:00+08:00'),
    });
    expect(canStartWave(wave, SH, at('2026-03-18T10:00:00+08:00'))).toEqual({ ok: true });
  });

  it('a blackout without windows ends at its end; chained blackouts are all skipped', () => {
    const wave = {
      startWindows: [],
      blackouts: [
        { from: '2026-10-01T00:00', to: '2026-10-05T00:00' },
        { from: '2026-10-04T12:00', to: '2026-10-08T00:00', reason: 'National Day holiday' },
      ],
    };
    expect(canStartWave(wave, SH, at('2026-10-02T10:00:00+08:00'))).toEqual({
      ok: false,
      reason: 'in-blackout',
      nextAllowedAtMs: at('2026-10-08T00:00:00+08:00'),
    });
  });

  it('a window until 24:00 and windows on the plan time zone (not UTC)', () => {
    const evening = { startWindows: [{ days: ['sat' as const], from: '20:00', to: '24:00' }], blackouts: [] };
    expect(canStartWave(evening, NY, at('2026-03-14T23:59:00-04:00'))).toEqual({ ok: true });
    expect(canStartWave(evening, NY, at('2026-03-15T00:00:00-04:00'))).toEqual({
      ok: false,
      reason: 'outside-start-window',
      nextAllowedAtMs: at('2026-03-21T20:00:00-04:00'),
    });
  });

  it('blackouts are hospital-local date-times', () => {
    expect(localDateTimeToMs('2026-10-01T00:00', SH)).toBe(at('2026-09-30T16:00:00Z'));
    expect(localDateTimeToMs('2026-03-08T02:30', NY)).toBe(at('2026-03-08T07:00:00Z'));
  });
});

describe('durations', () => {
  const plan = parsePlan(testPlan());

  it('the exit gate opens minimumDays after go-live, or after the ISO override', () => {
    const live = at('2026-03-10T09:00:00+08:00');
    expect(exitGateAllowedAt(plan.waves[0]!, live)).toBe(live + 14 * 24 * HOUR);
    expect(exitGateAllowedAt(plan.waves[1]!, live)).toBe(live + 7 * 24 * HOUR);
    expect(exitGateAllowedAt({ ...plan.waves[0]!, minimumDuration: 'PT5M' }, live)).toBe(live + 5 * 60_000);
  });

  it('the parallel run lasts 14 days unless overridden; decisions are due 2 days after a gate opens', () => {
    const start = at('2026-04-01T00:00:00Z');
    expect(parallelRunMinimumEndsAt(plan.parallelRun, start)).toBe(start + 14 * 24 * HOUR);
    expect(parallelRunMinimumEndsAt({ minimumDays: 14, minimumDuration: 'PT10M' }, start)).toBe(start + 10 * 60_000);
    expect(decisionDueAt(plan.gates.readiness, start)).toBe(start + 48 * HOUR);
  });
});

describe('renderTemplate', () => {
  it('fills the four placeholders', () => {
    expect(
      renderTemplate('{"d":"{{department}}","s":"{{step}}","p":"{{programId}}","a":{{attempt}}}', {
        department: 'IM-OPD',
        step: 'grant-access',
        programId: 'test-program',
        attempt: 2,
      }),
    ).toBe('{"d":"IM-OPD","s":"grant-access","p":"test-program","a":2}');
    expect(renderTemplate('/departments/{{department}}/access', { department: 'LAB', step: 'x', programId: 'p', attempt: 1 })).toBe(
      '/departments/LAB/access',
    );
  });
});
