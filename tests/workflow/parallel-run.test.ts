/** The parallel-run workflow's nightly comparison: schedule, verdicts, the final gate, failures, time zones. */
import { describe, expect, it } from 'vitest';
import { extendRunSignal, parallelRunStatusQuery } from '../../domain/parallel-run';
import { finalGateReady } from '../../domain/parallel-run-nights';
import { businessDayOf, businessDayWindow, localDateTimeToMs, nextLocalTime } from '../../domain/rules/time';
import { eventually } from '../helpers/eventually';
import { recordHistory, skipTime } from '../helpers/temporal';
import { DAY, days, domain, end, env, HOUR, lead, start, throughNight, useParallelRunWorker } from '../helpers/parallel-run';

useParallelRunWorker();

describe('parallel run: nightly comparison', () => {
  it('compares 14 consecutive business days at 02:00 for every domain; the final gate is ready only after the minimum and 3 clean nights', async () => {
    const run = await start({ domains: [domain('charges'), domain('orders'), domain('results')] });
    const tz = run.input.timeZone;
    // The minimum passes at liveAt + 14 days; by then 13 whole days have ended, but the 13th is compared at 02:00 after it.
    await skipTime(env, 14 * DAY - 60_000);
    const before = finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, await env.currentTimeMs());
    expect(before.ready).toBe(false);
    expect(before.reasons).toEqual([`the parallel run lasts until ${new Date(run.liveAtMs + 14 * DAY).toISOString()} at least`]);
    // With only two nights known, three clean nights are missing even after the minimum.
    expect(finalGateReady(run.fake.summaries.slice(0, 2), run.settings, run.liveAtMs, run.liveAtMs + 15 * DAY).reasons).toEqual([
      '2 of 3 clean nights needed since the last wave went live have been compared',
    ]);

    await throughNight(run, 14);
    const result = await end(run.handle);
    const nightly = run.fake.summaries.filter((s) => s.kind === 'nightly');
    expect(nightly).toHaveLength(14);
    expect(result.nightsCompared).toBe(14);
    expect(finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, await env.currentTimeMs())).toEqual({
      ready: true,
      reasons: [],
      blocks: [],
    });

    // Consecutive business days, from the first whole day after go-live, each compared at 02:00 hospital time.
    const first = businessDayOf(run.liveAtMs + DAY, tz);
    const expected = Array.from({ length: 14 }, (_, i) => businessDayOf(businessDayWindow(first, tz)[0] + i * DAY + HOUR, tz));
    expect(nightly.map((s) => s.businessDay)).toEqual(expected);
    expect(run.fake.calls).toHaveLength(42);
    expect(days(run.fake.calls)).toEqual(expected);
    for (const c of run.fake.calls) {
      const due = nextLocalTime('02:00', tz, Date.parse(c.window.to) - 1);
      expect(c.scheduledAtMs).toBe(due);
      expect(Math.abs(c.startedAtMs - due)).toBeLessThan(5_000);
      expect(c.departments).toEqual(['IM-OPD', 'LAB']);
      expect(c.settleMs).toBe(5 * 60_000);
    }
    // maxParallelDomains defaults to 2: three domains never run all at once.
    expect(run.fake.maxInFlight).toBe(2);
    expect(nightly.at(-1)!.cleanStreak).toEqual({ charges: 14, orders: 14, results: 14 });
    expect(run.fake.incidents).toEqual([]);
    await recordHistory(run.handle, 'parallel-run-14-nights');
  });

  it('a warning night is recorded, resets the clean streak and blocks the final gate until 3 clean nights follow', async () => {
    const run = await start({
      script: (c) =>
        c.domain.name === 'orders' && c.businessDay === businessDayOf(run0 + 13 * DAY, 'Asia/Shanghai')
          ? { differingKeys: 2, mismatchRate: 0.002, outcomes: { invalidKeysLegacy: 2, invalidKeysNew: 0 } }
          : {},
    });
    const run0 = run.liveAtMs;
    await throughNight(run, 13);
    const night13 = run.fake.summaries.at(-1)!;
    // The two differing keys are rows with an invalid key: the night's result says so, for the gate evidence.
    expect(night13.perDomain.find((d) => d.domain === 'orders')).toMatchObject({
      status: 'warning',
      differingKeys: 2,
      mismatchRate: 0.002,
      outcomes: { invalidKeysLegacy: 2, invalidKeysNew: 0 },
    });
    expect(night13.cleanStreak).toEqual({ charges: 13, orders: 0 });
    expect(night13.criticalDomains).toEqual([]);
    expect(run.fake.incidents).toEqual([]);

    await throughNight(run, 15);
    const now = await env.currentTimeMs();
    expect(finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, now)).toEqual({
      ready: false,
      reasons: [`${night13.businessDay}: orders was warning (2 legacy and 0 new rows with an invalid key)`],
      blocks: [{ kind: 'not-clean', businessDay: night13.businessDay, domain: 'orders', status: 'warning' }],
    });
    expect(run.fake.summaries.at(-1)!.cleanStreak).toEqual({ charges: 15, orders: 2 });
    await throughNight(run, 16);
    expect(finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, await env.currentTimeMs()).ready).toBe(true);
    const result = await end(run.handle);
    expect(result.trend.find((t) => t.domain === 'orders')).toMatchObject({
      nights: 16,
      clean: 15,
      warning: 1,
      critical: 0,
      failed: 0,
      cleanStreak: 3,
      maxMismatchRate: 0.002,
    });
  });

  it('a critical night raises an incident and tells the program which domains are critical and what they ask for', async () => {
    let criticalDay = '';
    const run = await start({
      domains: [domain('charges', 'pause'), domain('orders')],
      script: (c) =>
        c.domain.name === 'charges' && c.businessDay === criticalDay
          ? { differingKeys: 120, mismatchRate: 0.12, mismatched: 100, missingInNew: 20 }
          : {},
    });
    criticalDay = businessDayOf(run.liveAtMs + 3 * DAY, 'Asia/Shanghai');
    await throughNight(run, 3);
    const night = run.fake.summaries.find((s) => s.businessDay === criticalDay)!;
    expect(night.criticalDomains).toEqual([{ domain: 'charges', onCritical: 'pause' }]);
    expect(night.perDomain.map((d) => `${d.domain}:${d.status}`)).toEqual(['charges:critical', 'orders:clean']);
    expect(night.cleanStreak).toEqual({ charges: 0, orders: 3 });
    expect(run.fake.incidents).toHaveLength(1);
    expect(run.fake.incidents[0]).toMatchObject({
      condition: 'comparison-critical',
      severity: 'sev1',
      counts: { domains: 1, nights: 1, differences: 120 },
      // The incident names its domain (the plan's name; the command center shows the plan's title).
      domains: ['charges'],
      raisedBy: run.handle.workflowId,
    });
    await end(run.handle);
  });

  it('an extension keeps the final gate closed until the new end', async () => {
    const run = await start();
    await skipTime(env, 10 * DAY);
    await run.handle.signal(extendRunSignal, { by: 'P3D', reason: 'pharmacy interface fix under observation', actor: lead });
    const status = await eventually(async () => {
      const s = await run.handle.query(parallelRunStatusQuery);
      expect(s.extendedUntil).not.toBeNull();
      return s;
    });
    const newEnd = run.liveAtMs + 17 * DAY;
    expect(status.extendedUntil).toBe(new Date(newEnd).toISOString());
    expect(status.endsNoEarlierThan).toBe(new Date(newEnd).toISOString());
    await skipTime(env, 7 * DAY - HOUR);
    const now = await env.currentTimeMs();
    // The 14-day minimum has passed and the nights are clean, but the run was extended.
    expect(now).toBeGreaterThan(run.liveAtMs + 14 * DAY);
    const verdict = finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, now, Date.parse(status.extendedUntil!));
    expect(verdict).toEqual({
      ready: false,
      reasons: [`the parallel run lasts until ${new Date(newEnd).toISOString()} at least (extended)`],
      blocks: [{ kind: 'minimum-duration', until: new Date(newEnd).toISOString(), extended: true }],
    });
    await skipTime(env, 2 * HOUR);
    expect(
      finalGateReady(run.fake.summaries, run.settings, run.liveAtMs, await env.currentTimeMs(), Date.parse(status.extendedUntil!)).ready,
    ).toBe(true);
    await end(run.handle);
  });

  it('a database down for a night: retried, then failed and an incident, then the missed night is compared the next night', async () => {
    let downDay = '';
    let databaseUp = false;
    const run = await start({ script: (c) => (c.domain.name === 'charges' && c.businessDay === downDay && !databaseUp ? 'down' : {}) });
    downDay = businessDayOf(run.liveAtMs + 2 * DAY, 'Asia/Shanghai');
    // Past the retries' back-off (the test server skips time only when told to).
    await throughNight(run, 2, 20 * 60_000);
    const attempts = run.fake.calls.filter((c) => c.businessDay === downDay && c.domain.name === 'charges');
    expect(attempts.map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5]);
    // Retries back off 1, 2, 4 and 8 minutes.
    expect(attempts.slice(1).map((c, i) => Math.round((c.startedAtMs - attempts[i]!.startedAtMs) / 60_000))).toEqual([1, 2, 4, 8]);
    const failedNight = run.fake.summaries.at(-1)!;
    expect(failedNight).toMatchObject({ businessDay: downDay, kind: 'nightly', cleanStreak: { charges: 0, orders: 2 } });
    expect(failedNight.perDomain.find((d) => d.domain === 'charges')).toEqual({
      domain: 'charges',
      status: 'failed',
      runId: null,
      rowsLegacy: 0,
      rowsNew: 0,
      differingKeys: 0,
      mismatchRate: 0,
    });
    expect(run.fake.incidents.map((i) => `${i.condition}:${i.severity}:${JSON.stringify(i.counts)}:${i.domains?.join()}`)).toEqual([
      'comparison-not-run:sev3:{"domains":1,"nights":1}:charges',
    ]);
    const status = await run.handle.query(parallelRunStatusQuery);
    expect(status.missed).toEqual([{ businessDay: downDay, domains: ['charges'] }]);

    databaseUp = true;
    await throughNight(run, 3);
    await eventually(() => expect(run.fake.summaries.filter((s) => s.kind === 'missed')).toHaveLength(1));
    const missed = run.fake.summaries.find((s) => s.kind === 'missed')!;
    expect(missed.businessDay).toBe(downDay);
    expect(missed.perDomain.map((d) => `${d.domain}:${d.status}`)).toEqual(['charges:clean']);
    const retried = run.fake.calls.filter((c) => c.businessDay === downDay && c.domain.name === 'charges').at(-1)!;
    expect(retried.scheduledAtMs).toBe(nextLocalTime('02:00', 'Asia/Shanghai', Date.parse(retried.window.to) + DAY - 1));
    // Once compared, the night counts: the streak runs unbroken over it.
    expect(run.fake.summaries.at(-1)!.cleanStreak).toEqual({ charges: 3, orders: 3 });
    const result = await end(run.handle);
    expect(result.missed).toEqual([]);
    expect(run.fake.incidents).toHaveLength(1);
  });

  it('compares at 02:00 New York time across both 2026 daylight-saving changes, with 23- and 25-hour business days', async () => {
    const tz = 'America/New_York';
    // The server clock cannot go back to 2026-03: the run starts live since then and catches up night by night.
    const run = await start({ tz, liveAtMs: localDateTimeToMs('2026-03-06T00:00', tz), domains: [domain('charges')] });
    await eventually(() => expect(days(run.fake.calls)).toContain('2026-11-02'), 60_000);
    await end(run.handle);
    const call = (day: string) => run.fake.calls.find((c) => c.businessDay === day)!;
    const hours = (day: string) => (Date.parse(call(day).window.to) - Date.parse(call(day).window.from)) / HOUR;
    expect(['2026-03-07', '2026-03-08', '2026-03-09', '2026-10-31', '2026-11-01', '2026-11-02'].map(hours)).toEqual([
      24, 23, 24, 24, 25, 24,
    ]);
    expect(call('2026-03-08').window).toEqual({ from: '2026-03-08T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
    expect(call('2026-11-01').window).toEqual({ from: '2026-11-01T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z' });
    const dueAt = (day: string) => new Date(call(day).scheduledAtMs).toISOString();
    // 02:00 EST, then on 03-08 02:00 does not exist: the comparison of 03-07 runs at the jump (03:00 EDT); then 02:00 EDT.
    expect(['2026-03-06', '2026-03-07', '2026-03-08', '2026-10-31', '2026-11-01'].map(dueAt)).toEqual([
      '2026-03-07T07:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-02T07:00:00.000Z',
    ]);
    expect(days(run.fake.calls.filter((c) => c.businessDay <= '2026-11-02'))).toHaveLength(242);
  });
});
