/** The escalation ladder: notify a level, tell leadership, climb on when nobody acknowledged in time. */
import { CancellationScope } from '@temporalio/workflow';
import { advance, type LadderPosition } from '../../domain/escalation';
import type { IncidentContext } from './context';

export async function notifyLevel(ctx: IncidentContext, pos: LadderPosition) {
  const { s, policy, keyBase } = ctx;
  const level = policy.levels[pos.level - 1]!;
  const noticeKey = `${keyBase}/${pos.level}/${pos.round}`;
  const { recipients, groupChats } = await ctx.notice(noticeKey, level.people, {
    rota: level.rota,
    withAckTokens: true,
    notified: { level: pos.level, round: pos.round },
  });
  // Acknowledged or resolved while the notices were being prepared: they are moot.
  if (s.status !== 'open') return;
  const first = s.climbStartMs === s.raisedAtMs && s.stepAtMs === s.raisedAtMs;
  const minutes = Math.round((s.stepAtMs - s.climbStartMs) / 60_000);
  const scope = new CancellationScope();
  ctx.levelScopes.add(scope);
  ctx.send(
    recipients,
    noticeKey,
    (r) =>
      first
        ? { template: 'incident', audience: 'ladder', ...ctx.facts(), level: pos.level, round: pos.round, ackToken: r.ackToken! }
        : {
            template: 'escalation',
            ...ctx.facts(),
            level: pos.level,
            round: pos.round,
            ackToken: r.ackToken!,
            toppedOut: false,
            minutesUnacknowledged: minutes,
          },
    { level: pos.level, round: pos.round },
    scope,
    groupChats,
  );
  const update = { level: pos.level, round: pos.round };
  if (first) ctx.updateRow(update);
  else
    ctx.event(
      { kind: 'escalated', atMs: s.stepAtMs, level: pos.level, round: pos.round, detail: { recipients: recipients.length } },
      update,
    );
}

export async function tellLeadership(ctx: IncidentContext, how: 'at-once' | 'topped-out', round: number) {
  const { s, policy, keyBase } = ctx;
  if (!policy.leadership.length) return;
  s.leadershipTold = true;
  const noticeKey = how === 'at-once' ? `${keyBase}/leadership` : `${keyBase}/top/${round}/${s.acks}`;
  const { recipients } = await ctx.notice(noticeKey, policy.leadership, {
    withAckTokens: true,
    notified: { round, detail: { audience: 'leadership' } },
  });
  const minutes = Math.round((s.stepAtMs - s.climbStartMs) / 60_000);
  const last = policy.levels.length;
  ctx.send(
    recipients,
    noticeKey,
    (r) =>
      how === 'at-once'
        ? { template: 'incident', audience: 'leadership', ...ctx.facts(), level: s.pos?.level ?? 1, round, ackToken: r.ackToken! }
        : {
            template: 'escalation',
            ...ctx.facts(),
            level: last,
            round,
            ackToken: r.ackToken!,
            toppedOut: true,
            minutesUnacknowledged: minutes,
          },
    { round },
  );
  ctx.event({ kind: 'leadership-told', atMs: s.stepAtMs, round, detail: { how, recipients: recipients.length } });
}

/** The ladder reached past `from`: leadership when it topped out, then the next level or exhaustion. */
export async function climbOnFrom(ctx: IncidentContext, from: LadderPosition) {
  const { s } = ctx;
  const { next, toppedOut } = advance(ctx.policy, ctx.severity, from);
  if (toppedOut) await tellLeadership(ctx, 'topped-out', from.round);
  if (s.status !== 'open') return;
  if (next) {
    s.pos = next;
    s.phase = 'notify';
  } else {
    s.phase = 'exhausted';
    ctx.event({ kind: 'ladder-exhausted', atMs: s.stepAtMs, round: from.round });
  }
}
