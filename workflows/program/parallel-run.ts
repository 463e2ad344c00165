/** The parallel run as the program sees it: nights reported, extended, a day compared again. */
import { programUpdates } from '../../domain/program-contract';
import { compareAgainSignal, extendRunSignal, type NightSummary } from '../../domain/parallel-run';
import { applyExtension, minimumEndMs } from '../../domain/parallel-run-schedule';
import { addNight } from '../../domain/program';
import { parallelRunView } from '../../domain/program-status';
import { iso, type ProgramContext } from './context';

export async function onNight(ctx: ProgramContext, night: NightSummary) {
  const { s } = ctx;
  addNight(ctx.plan, s, night);
  await ctx.audit(
    'workflow',
    'parallel-run.night',
    { businessDay: night.businessDay },
    night.criticalDomains.length ? 'critical' : 'compared',
    undefined,
    {
      perDomain: night.perDomain.map((d) => `${d.domain}:${d.status}:${d.differingKeys}`),
    },
  );
  for (const c of night.criticalDomains) {
    // The incident is already on its way (the parallel run raised it); the plan adds what else happens.
    if (c.onCritical === 'pause') await ctx.pause(`critical comparison night ${night.businessDay} in ${c.domain}`);
    if (c.onCritical === 'propose-rollback')
      await ctx.audit('workflow', 'rollback.proposed', { domain: c.domain }, 'proposed', `critical comparison night ${night.businessDay}`);
  }
}

export function registerParallelRunHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;
  const view = () => parallelRunView(plan, s, ctx.now());

  ctx.handle(programUpdates.extendParallelRun, {
    check: () => {
      if (!s.parallelRun.started) ctx.invalidState('the parallel run has not started');
      if (s.phase === 'completed') ctx.invalidState('the program is completed');
    },
    run: async (input) => {
      const last = s.waves[s.waves.length - 1]!;
      const base = last.wentLiveAtMs ? minimumEndMs(plan.parallelRun, last.wentLiveAtMs, s.parallelRun.extendedUntilMs) : ctx.now();
      s.parallelRun.extendedUntilMs = applyExtension(base, input);
      await ctx.parallelRunHandle().signal(extendRunSignal, input);
      await ctx.audit(input.actor, 'parallel-run.extended', {}, iso(s.parallelRun.extendedUntilMs), input.reason);
      return view();
    },
  });

  ctx.handle(programUpdates.compareAgain, {
    check: () => {
      if (!s.parallelRun.started) ctx.invalidState('the parallel run has not started');
    },
    run: async (input) => {
      await ctx.parallelRunHandle().signal(compareAgainSignal, input);
      await ctx.audit(input.actor, 'parallel-run.compare-again', {}, 'requested', input.reason, {
        businessDay: input.businessDay ?? null,
        window: input.window ?? null,
      });
      return view();
    },
  });
}
