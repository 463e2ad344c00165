/** Gates: leadership's go/no-go on evidence. Requested by the lead, decided by the approvers. */
import { programUpdates } from '../../domain/program-contract';
import { gateRequestBlocker } from '../../domain/program';
import { gateView } from '../../domain/program-status';
import { endRunSignal } from '../../domain/parallel-run';
import { ErrorType } from '../../domain/errors';
import {
  applyDecision,
  closeGate,
  gateOf,
  gateOutcome,
  gateRejectionMessages,
  gateScope,
  openGate,
  type GateKey,
} from '../../domain/rules/gates';
import { iso, recordGateDecision, refuse, type ProgramContext } from './context';

export function gateMail(
  ctx: ProgramContext,
  key: GateKey,
  template: 'gate-opened' | 'gate-overdue' | 'gate-decided',
  extra: Record<string, unknown> = {},
) {
  const { s, plan } = ctx;
  const g = s.gates[key]!;
  const gate = gateOf(plan, key)!;
  return ctx.mail({
    personIds: gate.approvers.map((a) => a.personId),
    keyPrefix: `${ctx.selfId}/gate/${key}/${g.round}/${template}`,
    message: {
      template,
      gateId: key,
      gateKind: key.startsWith('exit-') ? 'exit' : key,
      programId: ctx.programId,
      departments: gateScope(plan, key),
      since: iso(g.state!.openedAtMs),
      deadline: iso(g.state!.dueAtMs),
      timeZone: plan.hospital.timeZone,
      criteriaMet: g.criteria.filter((c) => c.verdict === 'pass').length,
      criteriaTotal: g.criteria.length,
      ...extra,
    },
  });
}

/** A gate never decides by itself: past its deadline it stays open and is marked overdue. */
export async function onGateOverdue(ctx: ProgramContext, key: GateKey) {
  const g = ctx.s.gates[key]!;
  g.overdue = true;
  await ctx.audit('workflow', 'gate.overdue', { gate: key }, 'overdue', undefined, { round: g.round });
  await gateMail(ctx, key, 'gate-overdue', { minutesOverdue: 0 });
  await ctx.raise('gate-overdue', 'sev3', gateScope(ctx.plan, key), { minutesOverdue: 0 });
}

export function registerGateHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;
  const view = (key: GateKey) => gateView(plan, s, key, ctx.now());

  ctx.handle(programUpdates.requestGate, {
    check: ({ gate: key }) => {
      const blocker = gateRequestBlocker(plan, s, key, ctx.now());
      if (blocker) ctx.invalidState(`cannot request gate ${key}: ${blocker}`);
    },
    run: async ({ actor, gate: key, comment }) => {
      const g = s.gates[key]!;
      g.round += 1;
      g.status = 'open';
      g.overdue = false;
      g.noGoReasons = undefined;
      g.evidenceHashes = {};
      g.overrideReasons = {};
      g.state = openGate(key, gateOf(plan, key)!, ctx.now());
      g.criteria = ctx.criteriaFor(key);
      ctx.setPhase('gate-open');
      await ctx.audit(actor, 'gate.opened', { gate: key }, 'open', comment, {
        round: g.round,
        failingCriteria: g.criteria.filter((c) => c.verdict !== 'pass').map((c) => c.id),
      });
      await gateMail(ctx, key, 'gate-opened');
      return view(key);
    },
  });

  ctx.handle(programUpdates.decideGate, {
    check: ({ actor, gate: key, decision, comment, override }) => {
      const g = s.gates[key];
      if (!g?.state) return ctx.invalidState(`gate ${key} has not been opened`);
      const result = applyDecision(
        g.state,
        { approverId: actor.personId, verdict: decision, override: !!override, comment },
        { atMs: ctx.now(), criteria: g.criteria },
      );
      if (result.ok) return;
      if (result.rejection === 'not-an-approver')
        refuse(ErrorType.NotAllowed, `rejected: ${actor.personId} is not an approver of gate ${key}`);
      if (result.rejection === 'override-required') {
        refuse(ErrorType.InvalidState, 'rejected: a criterion fails; a go needs an override with a reason', {
          failing: g.criteria
            .filter((c) => c.verdict !== 'pass')
            .map((c) => ({ id: c.id, verdict: c.verdict, value: c.value, threshold: c.threshold })),
        });
      }
      ctx.invalidState(`rejected: ${gateRejectionMessages[result.rejection]} (${key}: ${g.status})`);
    },
    run: async ({ actor, gate: key, decision, comment, override }) => {
      const g = s.gates[key]!;
      const result = applyDecision(
        g.state!,
        { approverId: actor.personId, verdict: decision, override: !!override, comment },
        { atMs: ctx.now(), criteria: g.criteria },
      );
      if (!result.ok) return ctx.invalidState(gateRejectionMessages[result.rejection]);
      if (result.change === 'unchanged') return view(key);
      g.state = result.state;
      const index = g.state.history.length - 1;
      if (override) g.overrideReasons[index] = override.reason;
      const outcome = gateOutcome(g.state, g.state.decisions);
      const decidedAtMs = ctx.now();
      if (outcome !== 'pending') {
        g.state = closeGate(g.state, decidedAtMs);
        g.status = outcome;
        if (outcome === 'no-go') {
          g.noGoReasons = g.state.decisions
            .filter((d) => d.verdict === 'no-go')
            .map((d) => `${d.approverId}: ${d.comment ?? 'no comment'}`);
        }
        const after = s.activeWave === null ? 'readiness' : 'wave-active';
        // A decision during an emergency closes the gate but never ends the pause: the program
        // returns to `after` when the emergency is over.
        if (ctx.v2 && s.phase === 'paused') s.pausedFrom = after;
        else ctx.setPhase(after);
      }
      const { evidenceHash } = await recordGateDecision({
        eventKey: `${ctx.selfId}:${key}:${g.round}:${actor.personId}:${index}`,
        programId: ctx.programId,
        gate: key,
        round: g.round,
        approverId: actor.personId,
        decision,
        comment,
        overrideReason: override?.reason,
        decidedAtMs,
        criteria: g.criteria,
        context: {
          departments: Object.fromEntries(Object.values(s.departments).map((d) => [d.code, d.state])),
          decisionsSoFar: g.state.decisions.map((d) => ({ approverId: d.approverId, verdict: d.verdict })),
        },
      });
      g.evidenceHashes[index] = evidenceHash;
      await ctx.audit(
        actor,
        result.change === 'changed' ? 'gate.decision-changed' : 'gate.decided',
        { gate: key },
        decision,
        override?.reason ?? comment,
        { round: g.round, override: !!override, evidenceHash, outcome },
      );
      if (outcome !== 'pending') {
        await ctx.audit('workflow', 'gate.closed', { gate: key }, outcome, undefined, { round: g.round });
        await gateMail(ctx, key, 'gate-decided', {
          decision: outcome,
          decidedBy: g.state.decisions.map((d) => d.approverId),
          overridden: g.state.decisions.some((d) => d.override),
        });
        if (key === 'final' && outcome === 'go' && s.parallelRun.started) await ctx.parallelRunHandle().signal(endRunSignal);
      }
      return view(key);
    },
  });
}
