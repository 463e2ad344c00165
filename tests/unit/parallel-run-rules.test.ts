import { describe, expect, it } from 'vitest';
import { CompareAgainInput, ExtendRunInput, runSettings, type NightStatus, NightSummary } from '../../domain/parallel-run';
import {
  compactNights,
  cleanStreaksWith,
  trendSummaryWith,
  waveCountsWith,
  NIGHTS_KEPT,
  type NightArchive,
} from '../../domain/parallel-run-archive';
import {
  cleanStreaks,
  finalGateReady,
  incidentSeverity,
  latestNights,
  nightStatus,
  outstandingNights,
  trendSummary,
  waveNightsSince,
} from '../../domain/parallel-run-nights';
import { applyExtension, comparisonAt, departmentsIn, firstPeriod, nextBusinessDay, periodAfter } from '../../domain/parallel-run-schedule';
import { ParallelRunSettings, parsePlan, validatePlan } from '../../domain/plan';
import { testPlan } from '../../domain/demo-plans';
import { localDateTimeToMs } from '../../domain/rules/time';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SH = 'Asia/Shanghai';
const lead = { personId: 'p-lead-01', roles: ['lead' as const] };

const domain = (name: string) => ({
  name,
  spec: { name, key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' as const }] },
  legacy: { kind: 'postgres' as const, connection: { urlEnv: 'LEGACY_DB_URL' }, query: 'SELECT 1' },
  new: { kind: 'csv' as const, path: '/exports/charges.csv' },
});
const settings = ParallelRunSettings.parse({ domains: [domain('charges'), domain('orders')] });

/** A night of Shanghai business day `day` with the given status per domain. */
function night(day: string, statuses: Record<string, NightStatus>, kind: NightSummary['kind'] = 'nightly', rate = 0): NightSummary {
  const from = localDateTimeToMs(`${day}T00:00`, SH);
  return {
    businessDay: day,
    window: { from: new Date(from).toISOString(), to: new Date(from + DAY).toISOString() },
    kind,
    comparedAt: new Date(from + DAY + 2 * HOUR).toISOString(),
    perDomain: Object.entries(statuses).map(([d, status]) => ({
      domain: d,
      status,
      runId: status === 'failed' ? null : `run-${day}-${d}`,
      rowsLegacy: 10,
      rowsNew: 10,
      differingKeys: status === 'clean' ? 0 : 3,
      mismatchRate: rate,
    })),
    cleanStreak: {},
    criticalDomains: [],
  };
}
const clean = { charges: 'clean', orders: 'clean' } as const;
const days = (n: number, start = '2026-04-02') =>
  Array.from({ length: n }, (_, i) => new Date(Date.parse(start) + i * DAY).toISOString().slice(0, 10));
const liveAt = localDateTimeToMs('2026-04-01T10:00', SH);

describe('plan: parallel-run domains', () => {
  it('leaves the new settings out of a plan that names none, and fills them in for the run', () => {
    const plan = parsePlan(testPlan());
    expect(plan.parallelRun).toEqual({ minimumDays: 14, nightlyAt: '02:00', exitCleanNights: 3 });
    expect(runSettings(plan.parallelRun)).toMatchObject({ domains: [], maxParallelDomains: 2, settle: 'PT5M' });
  });

  it('accepts domains with connections named by environment variable and defaults thresholds and policy', () => {
    const input = testPlan();
    input.parallelRun = { domains: [domain('charges')], maxParallelDomains: 3, settle: 'PT10M' };
    const plan = parsePlan(input);
    expect(plan.parallelRun.domains![0]).toMatchObject({
      name: 'charges',
      thresholds: {},
      onCritical: 'incident-only',
      legacy: { connection: { urlEnv: 'LEGACY_DB_URL' } },
    });
  });

  it('rejects a literal connection string, duplicate domains, a literal code-map url and a long settle', () => {
    const issues = (parallelRun: unknown) => {
      const input = testPlan();
      input.parallelRun = parallelRun as typeof input.parallelRun;
      const r = validatePlan(input);
      return r.ok ? [] : r.issues.map((i) => `${i.path} ${i.rule}`);
    };
    expect(
      issues({ domains: [{ ...domain('charges'), legacy: { kind: 'postgres', url: 'postgres://u:secret@h/db', query: 'SELECT 1' } }] }),
    ).toEqual(['parallelRun.domains.0.legacy.connection invalid_type', 'parallelRun.domains.0.legacy unrecognized_keys']);
    expect(issues({ domains: [domain('charges'), domain('charges')] })).toEqual(['parallelRun.domains.1.name duplicate-domain']);
    const withMap = {
      ...domain('charges'),
      spec: {
        ...domain('charges').spec,
        codeMaps: { dept: { kind: 'table', url: 'postgres://u:secret@h/db', query: 'SELECT a, b FROM m' } },
      },
    };
    expect(issues({ domains: [withMap] })).toEqual(['parallelRun.domains.0.spec.codeMaps.dept.url literal-secret']);
    withMap.spec.codeMaps.dept.url = 'env:CODEMAP_DB_URL';
    expect(issues({ domains: [withMap] })).toEqual([]);
    expect(issues({ settle: 'PT2H' })).toEqual(['parallelRun.settle duration-out-of-range']);
  });
});

describe('night status and streaks', () => {
  it('uses the engine rule: strictly above the rate or count', () => {
    const t = { warning: { count: 0 }, critical: { rate: 0.05, count: 1000 } };
    expect(nightStatus(t, { differingKeys: 0, mismatchRate: 0 })).toBe('clean');
    expect(nightStatus(t, { differingKeys: 1, mismatchRate: 0.001 })).toBe('warning');
    expect(nightStatus(t, { differingKeys: 50, mismatchRate: 0.05 })).toBe('warning');
    expect(nightStatus(t, { differingKeys: 51, mismatchRate: 0.051 })).toBe('critical');
    expect(nightStatus(t, { differingKeys: 1001, mismatchRate: 0.001 })).toBe('critical');
    expect(nightStatus({}, { differingKeys: 99, mismatchRate: 0.9 })).toBe('clean');
  });

  it('counts clean nights back from the latest; a later comparison of a night replaces the earlier one', () => {
    const [d1, d2, d3, d4] = days(4);
    const history = [
      night(d1!, clean),
      night(d2!, { charges: 'warning', orders: 'clean' }),
      night(d3!, { charges: 'clean', orders: 'failed' }),
      night(d4!, clean),
    ];
    expect(cleanStreaks(history, ['charges', 'orders'])).toEqual({ charges: 2, orders: 1 });
    expect(outstandingNights(history)).toEqual([{ businessDay: d3, domain: 'orders' }]);
    const retried = [...history, night(d3!, { orders: 'clean' }, 'missed')];
    expect(outstandingNights(retried)).toEqual([]);
    expect(cleanStreaks(retried, ['charges', 'orders'])).toEqual({ charges: 2, orders: 4 });
    expect(latestNights(retried).map((n) => `${n.businessDay}:${n.results.charges!.status}/${n.results.orders!.status}`)).toEqual([
      `${d1}:clean/clean`,
      `${d2}:warning/clean`,
      `${d3}:clean/clean`,
      `${d4}:clean/clean`,
    ]);
  });
});

describe('schedule', () => {
  it('starts at the first whole business day after go-live and compares each at nightlyAt after it ends', () => {
    const p = firstPeriod(settings, SH, liveAt);
    expect(p).toEqual({ businessDay: '2026-04-02', fromMs: Date.parse('2026-04-01T16:00:00Z'), toMs: Date.parse('2026-04-02T16:00:00Z') });
    expect(firstPeriod(settings, SH, localDateTimeToMs('2026-04-01T00:00', SH)).businessDay).toBe('2026-04-01');
    expect(new Date(comparisonAt(settings, SH, p)).toISOString()).toBe('2026-04-02T18:00:00.000Z');
    expect(periodAfter(settings, SH, p).businessDay).toBe('2026-04-03');
    expect(nextBusinessDay('2026-12-31')).toBe('2027-01-01');
  });

  it('compares the 23- and 25-hour New York days at 02:00, or at the jump when 02:00 does not exist', () => {
    const ny = 'America/New_York';
    const p = firstPeriod(settings, ny, localDateTimeToMs('2026-03-07T00:00', ny));
    const next = periodAfter(settings, ny, p);
    expect(next.toMs - next.fromMs).toBe(23 * HOUR);
    expect(new Date(comparisonAt(settings, ny, p)).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    const fall = firstPeriod(settings, ny, localDateTimeToMs('2026-11-01T00:00', ny));
    expect(fall.toMs - fall.fromMs).toBe(25 * HOUR);
    expect(new Date(comparisonAt(settings, ny, fall)).toISOString()).toBe('2026-11-02T07:00:00.000Z');
  });

  it('runs demos on fixed intervals from go-live, labelled by their local start', () => {
    const demo = { comparisonEvery: 'PT2M', nightlyAt: '02:00' };
    const p = firstPeriod(demo, SH, liveAt);
    expect(p).toEqual({ businessDay: '2026-04-01T10:00:00', fromMs: liveAt, toMs: liveAt + 120_000 });
    expect(comparisonAt(demo, SH, p)).toBe(liveAt + 120_000);
    expect(periodAfter(demo, SH, p).businessDay).toBe('2026-04-01T10:02:00');
  });

  it('compares a wave from the first period that starts after it went live', () => {
    const scope = [
      { wave: 1, departments: ['IM-OPD', 'LAB'], liveAtMs: liveAt },
      { wave: 2, departments: ['RAD'], liveAtMs: liveAt + 3 * DAY },
    ];
    expect(departmentsIn(scope, liveAt + DAY)).toEqual(['IM-OPD', 'LAB']);
    expect(departmentsIn(scope, liveAt + 3 * DAY)).toEqual(['IM-OPD', 'LAB', 'RAD']);
  });
});

describe('the final gate', () => {
  const history = days(14).map((d) => night(d, clean));
  const minimumEnd = liveAt + 14 * DAY;

  it('is ready after the minimum with the last 3 nights clean for every domain', () => {
    expect(finalGateReady(history, settings, liveAt, minimumEnd)).toEqual({ ready: true, reasons: [], blocks: [] });
    expect(finalGateReady(history, settings, liveAt, minimumEnd - 1)).toEqual({
      ready: false,
      reasons: ['the parallel run lasts until 2026-04-15T02:00:00.000Z at least'],
      // The same reasons as data, for the command center to word in the reader's language.
      blocks: [{ kind: 'minimum-duration', until: '2026-04-15T02:00:00.000Z', extended: false }],
    });
  });

  it('names every night that blocks it: a warning among the last 3, a missed night, too few nights since the last wave', () => {
    const bad = [...history.slice(0, 12), night('2026-04-14', { charges: 'clean', orders: 'warning' }), night('2026-04-15', clean)];
    expect(finalGateReady(bad, settings, liveAt, minimumEnd).reasons).toEqual(['2026-04-14: orders was warning']);
    expect(finalGateReady(bad, settings, liveAt, minimumEnd).blocks).toEqual([
      { kind: 'not-clean', businessDay: '2026-04-14', domain: 'orders', status: 'warning' },
    ]);
    const missed = [...history.slice(0, 5), night('2026-04-07', { charges: 'failed', orders: 'clean' }), ...history.slice(6)];
    expect(finalGateReady(missed, settings, liveAt, minimumEnd).reasons).toEqual(['2026-04-07: charges has not been compared yet']);
    expect(finalGateReady(missed, settings, liveAt, minimumEnd).blocks).toEqual([
      { kind: 'not-compared', businessDay: '2026-04-07', domain: 'charges' },
    ]);
    const lastWave = localDateTimeToMs('2026-04-13T09:00', SH);
    expect(finalGateReady(history, settings, lastWave, lastWave + 15 * DAY).reasons).toEqual([
      '2 of 3 clean nights needed since the last wave went live have been compared',
    ]);
    expect(finalGateReady(history, settings, lastWave, lastWave + 15 * DAY).blocks).toEqual([
      { kind: 'clean-nights', compared: 2, needed: 3 },
    ]);
    // A plan without comparison domains opted out of the comparison: only the minimum counts.
    expect(finalGateReady(history, ParallelRunSettings.parse({}), liveAt, minimumEnd).reasons).toEqual([]);
    expect(finalGateReady(history, ParallelRunSettings.parse({}), liveAt, minimumEnd - 1).reasons).toHaveLength(1);
  });

  it('names the invalid keys of a night that blocks it; a result recorded before outcomes existed still parses', () => {
    const n = night('2026-04-14', { charges: 'clean', orders: 'warning' });
    n.perDomain[1]!.outcomes = { invalidKeysLegacy: 2, invalidKeysNew: 0 };
    const bad = [...history.slice(0, 12), n, night('2026-04-15', clean)];
    expect(finalGateReady(bad, settings, liveAt, minimumEnd).reasons).toEqual([
      '2026-04-14: orders was warning (2 legacy and 0 new rows with an invalid key)',
    ]);
    n.perDomain[1]!.outcomes = { invalidKeysLegacy: 0, invalidKeysNew: 0, ambiguousTimes: 1, recheckedInFlight: 3 };
    expect(finalGateReady(bad, settings, liveAt, minimumEnd).reasons).toEqual([
      '2026-04-14: orders was warning (1 nonexistent local time, 3 keys rechecked in flight)',
    ]);
    n.perDomain[1]!.outcomes = { invalidKeysLegacy: 2, invalidKeysNew: 0 };
    expect(NightSummary.parse(n).perDomain[1]?.outcomes).toEqual({ invalidKeysLegacy: 2, invalidKeysNew: 0 });
    expect(NightSummary.parse(history[0]).perDomain[0]?.outcomes).toBeUndefined();
    expect(() =>
      NightSummary.parse({ ...n, perDomain: [{ ...n.perDomain[1], outcomes: { invalidKeysLegacy: -1, invalidKeysNew: 0 } }] }),
    ).toThrow();
  });

  it('waits for an extension, which never shortens the run', () => {
    const ext = applyExtension(minimumEnd, { by: 'P3D' });
    expect(ext).toBe(minimumEnd + 3 * DAY);
    expect(applyExtension(ext, { until: new Date(minimumEnd).toISOString() })).toBe(ext);
    expect(finalGateReady(history, settings, liveAt, minimumEnd + DAY, ext)).toEqual({
      ready: false,
      reasons: ['the parallel run lasts until 2026-04-18T02:00:00.000Z at least (extended)'],
      blocks: [{ kind: 'minimum-duration', until: '2026-04-18T02:00:00.000Z', extended: true }],
    });
    expect(finalGateReady(history, settings, liveAt, ext, ext).ready).toBe(true);
  });

  it('gives a wave exit gate the nights since it went live, each at its worst domain', () => {
    const h = [
      night('2026-04-02', clean),
      night('2026-04-03', { charges: 'critical', orders: 'warning' }),
      night('2026-04-04', { charges: 'clean', orders: 'failed' }),
      night('2026-04-05', clean),
    ];
    expect(waveNightsSince(h, liveAt + DAY, ['charges', 'orders'])).toEqual({
      compared: 3,
      clean: 1,
      warning: 0,
      critical: 1,
      failed: 1,
      nights: [
        { businessDay: '2026-04-03', status: 'critical' },
        { businessDay: '2026-04-04', status: 'failed' },
        { businessDay: '2026-04-05', status: 'clean' },
      ],
    });
  });
});

describe('trend, incidents and message schemas', () => {
  it('summarises each domain and compares the last 3 nights with the 3 before', () => {
    const rates = [0.04, 0.03, 0.03, 0.01, 0.0, 0.0];
    const h = days(6).map((d, i) => night(d, { charges: rates[i]! > 0.02 ? 'warning' : 'clean' }, 'nightly', rates[i]));
    expect(trendSummary(h, ['charges'])).toEqual([
      {
        domain: 'charges',
        nights: 6,
        clean: 3,
        warning: 3,
        critical: 0,
        failed: 0,
        cleanStreak: 3,
        latestMismatchRate: 0,
        maxMismatchRate: 0.04,
        direction: 'improving',
      },
    ]);
    expect(trendSummary(h.slice(0, 2), ['charges'])[0]!.direction).toBe('unknown');
  });

  it('grades incidents: sev1 when a critical domain asks to pause or roll back', () => {
    expect(incidentSeverity('comparison-critical', ['incident-only'])).toBe('sev2');
    expect(incidentSeverity('comparison-critical', ['incident-only', 'propose-rollback'])).toBe('sev1');
    expect(incidentSeverity('comparison-not-run')).toBe('sev3');
  });

  it('validates extendRun and compareAgain', () => {
    expect(ExtendRunInput.safeParse({ by: 'P3D', reason: 'observe longer', actor: lead }).success).toBe(true);
    expect(ExtendRunInput.safeParse({ by: 'P3D', until: '2026-05-01T00:00:00Z', reason: 'observe longer', actor: lead }).success).toBe(
      false,
    );
    expect(CompareAgainInput.safeParse({ businessDay: '2026-04-03', reason: 'after the fix', actor: lead }).success).toBe(true);
    expect(
      CompareAgainInput.safeParse({
        window: { from: '2026-04-03T10:00:00Z', to: '2026-04-03T09:00:00Z' },
        reason: 'after the fix',
        actor: lead,
      }).success,
    ).toBe(false);
  });
});

describe('bounded history: old nights folded into counts', () => {
  it('over 365 nights, views of (archive + kept nights) equal views of every night, and the kept nights stay bounded', () => {
    // A seeded walk: mostly clean, some warnings and criticals, a failed night compared again the next day.
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const status = (): NightStatus => {
      const x = rand();
      return x < 0.8 ? 'clean' : x < 0.9 ? 'warning' : x < 0.95 ? 'critical' : 'failed';
    };
    const names = ['charges', 'orders'];
    const waves = [
      { wave: 1, liveAtMs: liveAt },
      { wave: 2, liveAtMs: liveAt + 40 * DAY },
      { wave: 3, liveAtMs: liveAt + 200 * DAY },
    ];
    const full: NightSummary[] = [];
    const run: { nights: NightSummary[]; archive?: NightArchive } = { nights: [] };
    let pendingRetry: NightSummary | undefined;
    let maxKept = 0;
    for (const [i, day] of days(365).entries()) {
      const added = [night(day, { charges: status(), orders: status() }, 'nightly', Math.round(rand() * 1000) / 10_000)];
      if (pendingRetry)
        added.push(
          night(
            pendingRetry.businessDay,
            Object.fromEntries(pendingRetry.perDomain.filter((r) => r.status === 'failed').map((r) => [r.domain, 'clean' as const])),
            'missed',
            0,
          ),
        );
      pendingRetry = added[0]!.perDomain.some((r) => r.status === 'failed') ? added[0] : undefined;
      for (const n of added) {
        full.push(n);
        run.nights.push(n);
        compactNights(
          run,
          names,
          waves.filter((w) => w.liveAtMs <= Date.parse(n.comparedAt)),
        );
      }
      maxKept = Math.max(maxKept, latestNights(run.nights).length);
      if (i % 7 !== 0 && i < 360) continue;
      expect(cleanStreaksWith(run.nights, names, run.archive)).toEqual(cleanStreaks(full, names));
      expect(trendSummaryWith(run.nights, names, run.archive)).toEqual(trendSummary(full, names));
      for (const w of waves.filter((x) => x.liveAtMs <= Date.parse(day))) {
        const { compared, clean: c, warning, critical, failed } = waveNightsSince(full, w.liveAtMs, names);
        expect(waveCountsWith(run.nights, w.wave, w.liveAtMs, names, run.archive)).toEqual({
          wave: w.wave,
          compared,
          clean: c,
          warning,
          critical,
          failed,
        });
      }
      const now = Date.parse(day) + 2 * DAY;
      expect(finalGateReady(run.nights, settings, waves[2]!.liveAtMs, now)).toEqual(
        finalGateReady(full, settings, waves[2]!.liveAtMs, now),
      );
    }
    expect(run.archive!.summaries + run.nights.length).toBe(full.length);
    expect(maxKept).toBeLessThanOrEqual(NIGHTS_KEPT + 2);
    expect(JSON.stringify(run).length).toBeLessThan(JSON.stringify(full).length / 4);
  });
});
