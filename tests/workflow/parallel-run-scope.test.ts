/** The parallel-run workflow's scope and length: a later wave, a day compared again, a 60-night run. */
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { compareAgainSignal, extendRunSignal, scopeGrewSignal } from '../../domain/parallel-run';
import { latestNights } from '../../domain/parallel-run-nights';
import { businessDayOf } from '../../domain/rules/time';
import { eventually } from '../helpers/eventually';
import { DAY, days, domain, end, env, lead, start, throughNight, useParallelRunWorker } from '../helpers/parallel-run';

useParallelRunWorker();

describe('parallel run: scope, extra comparisons, long runs', () => {
  it('adds a later wave from the first whole day after it went live, and compares a day again on request', async () => {
    const run = await start({ domains: [domain('charges')] });
    await throughNight(run, 2);
    const wave2At = await env.currentTimeMs();
    await run.handle.signal(scopeGrewSignal, { wave: 2, departments: ['RAD', 'PHARM'], liveAtMs: wave2At });
    const firstDay = run.fake.calls[0]!.businessDay;
    await run.handle.signal(compareAgainSignal, { businessDay: firstDay, reason: 'after the charge-code fix', actor: lead });
    await eventually(() => expect(run.fake.summaries.filter((s) => s.kind === 'extra')).toHaveLength(1));
    await throughNight(run, 4);
    const byDay = Object.fromEntries(run.fake.calls.filter((c) => c.scheduledAtMs > 0).map((c) => [`${c.businessDay}`, c.departments]));
    const day3 = businessDayOf(wave2At, 'Asia/Shanghai');
    expect(byDay[day3]).toEqual(['IM-OPD', 'LAB']);
    expect(byDay[days(run.fake.calls).at(-1)!]).toEqual(['IM-OPD', 'LAB', 'RAD', 'PHARM']);
    const extra = run.fake.summaries.find((s) => s.kind === 'extra')!;
    expect(extra.businessDay).toBe(firstDay);
    const result = await end(run.handle);
    expect(result.scope.map((w) => w.wave)).toEqual([1, 2]);
    // The extra comparison is another run of a night already compared, not another night.
    expect(result.nightsCompared).toBe(4);
  });

  it('continues as new over a 60-night run with every night and its state kept, and small histories', async () => {
    const run = await start({ domains: [domain('charges')], settings: { exitCleanNights: 5 } });
    await run.handle.signal(extendRunSignal, {
      until: new Date(run.liveAtMs + 61 * DAY).toISOString(),
      reason: 'sixty nights of observation',
      actor: lead,
    });
    await throughNight(run, 60);
    const result = await end(run.handle);
    expect(result.nightsCompared).toBe(60);
    expect(result.cleanStreak).toEqual({ charges: 60 });
    expect(result.extendedUntil).toBe(new Date(run.liveAtMs + 61 * DAY).toISOString());
    expect(latestNights(run.fake.summaries).map((n) => n.businessDay)).toEqual(days(run.fake.calls));
    expect(new Set(days(run.fake.calls)).size).toBe(60);

    // Follow the chain of runs from the first: each ends by continuing as new into the next.
    const runs: number[] = [];
    let runId: string | undefined = run.handle.firstExecutionRunId;
    while (runId) {
      const events: temporal.api.history.v1.IHistoryEvent[] = (
        await env.client.workflow.getHandle(run.handle.workflowId, runId).fetchHistory()
      ).events!;
      runs.push(events.length);
      runId = events.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    // 30 nights per run, then a run that ends on endRun; about 17 events a night with one domain.
    expect(runs).toHaveLength(3);
    for (const events of runs) expect(events).toBeLessThan(600);
  });
});
