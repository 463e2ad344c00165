import { describe, expect, it } from 'vitest';
import {
  applyDecision,
  closeGate,
  gateKeys,
  gateOf,
  gateOutcome,
  gateScope,
  gateTally,
  openGate,
  type GateState,
} from '../../domain/rules/gates';
import { evaluateCriteria } from '../../domain/rules/criteria';
import { parsePlan, type Approver } from '../../domain/plan';
import { testPlan } from '../../domain/demo-plans';

const plan = parsePlan(testPlan());
const approvers: Approver[] = [
  { personId: 'p-vp-01', role: 'leadership' },
  { personId: 'p-itdir-01', role: 'leadership' },
  { personId: 'p-cmo-01', role: 'leadership' },
];
const all = { approvers, rule: { kind: 'all' as const } };
const quorum2 = { approvers, rule: { kind: 'quorum' as const, required: 2 } };
const go = (approverId: string) => ({ approverId, verdict: 'go' as const });
const noGo = (approverId: string) => ({ approverId, verdict: 'no-go' as const });

const opened = Date.parse('2026-03-01T09:00:00+08:00');

describe('gates of a plan', () => {
  it('lists readiness, one exit gate per wave, final', () => {
    expect(gateKeys(plan)).toEqual(['readiness', 'exit-1', 'exit-2', 'exit-3', 'final']);
    expect(gateOf(plan, 'exit-2')).toBe(plan.waves[1]!.exitGate);
    expect(gateOf(plan, 'readiness')).toBe(plan.gates.readiness);
    expect(gateOf(plan, 'exit-4')).toBeUndefined();
  });

  it('checks the training of the departments that go live next', () => {
    expect(gateScope(plan, 'readiness')).toEqual(['IM-OPD', 'LAB']);
    expect(gateScope(plan, 'exit-1')).toEqual(['PEDS-OPD', 'RAD', 'PHARM', 'CARD-IP']);
    expect(gateScope(plan, 'exit-3')).toEqual([]);
    expect(gateScope(plan, 'final')).toEqual([]);
  });
});

describe('gateOutcome', () => {
  it('rule all: go only when every named approver said go', () => {
    expect(gateOutcome(all, [])).toBe('pending');
    expect(gateOutcome(all, [go('p-vp-01'), go('p-itdir-01')])).toBe('pending');
    expect(gateOutcome(all, [go('p-vp-01'), go('p-itdir-01'), go('p-cmo-01')])).toBe('go');
    expect(gateOutcome(all, [go('p-vp-01'), go('p-itdir-01'), noGo('p-cmo-01')])).toBe('no-go');
  });

  it('quorum 2 of 3: two go, unless anyone vetoes', () => {
    expect(gateOutcome(quorum2, [go('p-vp-01')])).toBe('pending');
    expect(gateOutcome(quorum2, [go('p-vp-01'), go('p-cmo-01')])).toBe('go');
    expect(gateOutcome(quorum2, [go('p-vp-01'), go('p-cmo-01'), noGo('p-itdir-01')])).toBe('no-go');
    expect(gateOutcome(quorum2, [noGo('p-itdir-01')])).toBe('no-go');
  });

  it('ignores people who are not named approvers, and counts the latest decision of each', () => {
    expect(gateOutcome(quorum2, [go('p-vp-01'), go('p-lead-01')])).toBe('pending');
    expect(gateOutcome(quorum2, [noGo('p-intruder-01'), go('p-vp-01'), go('p-cmo-01')])).toBe('go');
    expect(gateOutcome(quorum2, [noGo('p-vp-01'), go('p-vp-01'), go('p-cmo-01')])).toBe('go');
    expect(gateTally(quorum2, [noGo('p-vp-01'), go('p-vp-01'), go('p-cmo-01')])).toEqual({ go: 2, noGo: 0, undecided: 1, required: 2 });
  });
});

describe('applyDecision', () => {
  const fresh = (): GateState => openGate('readiness', plan.gates.readiness, opened);

  it('opens with the gate approvers and a deadline two days on', () => {
    const state = fresh();
    expect(state).toMatchObject({
      key: 'readiness',
      rule: { kind: 'quorum', required: 2 },
      openedAtMs: opened,
      dueAtMs: opened + 48 * 3_600_000,
      closedAtMs: null,
      decisions: [],
      history: [],
    });
    expect(state.approvers.map((a) => a.personId)).toEqual(['p-vp-01', 'p-itdir-01', 'p-cmo-01']);
  });

  it('records a first decision with its time and override flag', () => {
    const result = applyDecision(fresh(), go('p-vp-01'), { atMs: opened + 1000 });
    expect(result).toEqual({
      ok: true,
      change: 'recorded',
      state: expect.objectContaining({ decisions: [{ approverId: 'p-vp-01', verdict: 'go', override: false, atMs: opened + 1000 }] }),
    });
  });

  it('an identical repeat is a no-op that returns the same state', () => {
    const first = applyDecision(fresh(), { ...go('p-vp-01'), comment: 'ready' }, { atMs: opened + 1000 });
    if (!first.ok) throw new Error('rejected');
    const again = applyDecision(first.state, { ...go('p-vp-01'), comment: 'ready', override: false }, { atMs: opened + 5000 });
    expect(again).toEqual({ ok: true, change: 'unchanged', state: first.state });
    if (again.ok) expect(again.state).toBe(first.state);
  });

  it('a change while the gate is open replaces the latest decision and keeps history', () => {
    let state = fresh();
    for (const [d, atMs] of [
      [go('p-vp-01'), 1],
      [go('p-cmo-01'), 2],
      [noGo('p-vp-01'), 3],
    ] as const) {
      const r = applyDecision(state, d, { atMs: opened + atMs });
      if (!r.ok) throw new Error(r.rejection);
      state = r.state;
      if (atMs === 3) expect(r.change).toBe('changed');
    }
    expect(state.decisions.map((d) => [d.approverId, d.verdict])).toEqual([
      ['p-cmo-01', 'go'],
      ['p-vp-01', 'no-go'],
    ]);
    expect(state.history.map((d) => [d.approverId, d.verdict, d.atMs - opened])).toEqual([
      ['p-vp-01', 'go', 1],
      ['p-cmo-01', 'go', 2],
      ['p-vp-01', 'no-go', 3],
    ]);
    expect(gateOutcome(state, state.decisions)).toBe('no-go');
  });

  it('rejects a decision by someone who is not a named approver', () => {
    expect(applyDecision(fresh(), go('p-lead-01'), { atMs: opened })).toEqual({ ok: false, rejection: 'not-an-approver' });
  });

  it('rejects a new or changed decision once the gate is closed, but a retried identical one still succeeds', () => {
    const r = applyDecision(fresh(), go('p-vp-01'), { atMs: opened });
    if (!r.ok) throw new Error(r.rejection);
    const closed = closeGate(r.state, opened + 10);
    expect(closed.closedAtMs).toBe(opened + 10);
    expect(closeGate(closed, opened + 20).closedAtMs).toBe(opened + 10);
    expect(applyDecision(closed, go('p-cmo-01'), { atMs: opened + 20 })).toEqual({ ok: false, rejection: 'gate-closed' });
    expect(applyDecision(closed, noGo('p-vp-01'), { atMs: opened + 20 })).toEqual({ ok: false, rejection: 'gate-closed' });
    expect(applyDecision(closed, go('p-vp-01'), { atMs: opened + 20 })).toMatchObject({ ok: true, change: 'unchanged' });
  });

  it('a go against criteria that did not pass needs the override flag; a no-go never does', () => {
    const criteria = evaluateCriteria(plan.gates.readiness.criteria, {}, { nowMs: opened, departments: gateScope(plan, 'readiness') });
    expect(applyDecision(fresh(), go('p-vp-01'), { atMs: opened, criteria })).toEqual({ ok: false, rejection: 'override-required' });
    expect(
      applyDecision(fresh(), { ...go('p-vp-01'), override: true, comment: 'paper fallback staffed' }, { atMs: opened, criteria }),
    ).toMatchObject({ ok: true, change: 'recorded' });
    expect(applyDecision(fresh(), noGo('p-vp-01'), { atMs: opened, criteria })).toMatchObject({ ok: true, change: 'recorded' });
  });
});
