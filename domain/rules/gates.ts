/**
 * Gates: which gates a plan has, whose training they check, and how approvers' decisions add up.
 * A gate's outcome is computed, never stored, so a changed decision can never leave a stale
 * verdict behind. State transitions are pure: they return a new state or a typed rejection.
 */
import { z } from 'zod';
import { PersonId } from '../people';
import { durationMs, type Approver, type Gate, type GateRule, type Plan } from '../plan';
import { criteriaPassed, type CriterionResult } from './criteria';

/** readiness (before the pilot), exit-<wave number> (wave 1 is the pilot), final (ends the parallel run). */
export const GateKey = z.string().regex(/^(readiness|final|exit-[1-9]\d{0,2})$/, 'must be readiness, exit-<wave number> or final');
export type GateKey = z.infer<typeof GateKey>;

export const exitGateKey = (waveNumber: number): GateKey => `exit-${waveNumber}`;

/** Every gate of the plan in the order they are passed. */
export function gateKeys(plan: Plan): GateKey[] {
  return ['readiness', ...plan.waves.map((_, i) => exitGateKey(i + 1)), 'final'];
}

function waveIndexOf(key: GateKey): number | null {
  const m = /^exit-(\d+)$/.exec(key);
  return m ? Number(m[1]) - 1 : null;
}

export function gateOf(plan: Plan, key: GateKey): Gate | undefined {
  if (key === 'readiness') return plan.gates.readiness;
  if (key === 'final') return plan.gates.final;
  const i = waveIndexOf(key);
  return i === null ? undefined : plan.waves[i]?.exitGate;
}

/** The departments that go live once the gate says go: their training is what the gate checks. */
export function gateScope(plan: Plan, key: GateKey): string[] {
  if (key === 'readiness') return [...(plan.waves[0]?.departments ?? [])];
  const i = waveIndexOf(key);
  return i === null ? [] : [...(plan.waves[i + 1]?.departments ?? [])];
}

export const GateDecision = z.strictObject({
  approverId: PersonId,
  verdict: z.enum(['go', 'no-go']),
  /** Go although some criterion did not pass; the approver takes responsibility (audited). */
  override: z.boolean().default(false),
  comment: z.string().max(500).optional(),
});
export type GateDecision = z.output<typeof GateDecision>;
export type GateDecisionInput = z.input<typeof GateDecision>;

export interface RecordedDecision extends GateDecision {
  atMs: number;
}

export interface GateState {
  key: GateKey;
  approvers: Approver[];
  rule: GateRule;
  openedAtMs: number;
  /** When the approvers are due (openedAtMs + the gate's decisionDeadline). */
  dueAtMs: number;
  closedAtMs: number | null;
  /** The latest decision of each approver who decided. */
  decisions: RecordedDecision[];
  /** Every accepted decision, in order, changes included. */
  history: RecordedDecision[];
}

export type GateOutcome = 'pending' | 'go' | 'no-go';

export function openGate(key: GateKey, gate: Pick<Gate, 'approvers' | 'rule' | 'decisionDeadline'>, openedAtMs: number): GateState {
  return {
    key,
    approvers: gate.approvers.map((a) => ({ ...a })),
    rule: { ...gate.rule },
    openedAtMs,
    dueAtMs: openedAtMs + durationMs(gate.decisionDeadline),
    closedAtMs: null,
    decisions: [],
    history: [],
  };
}

export function closeGate(state: GateState, closedAtMs: number): GateState {
  return state.closedAtMs !== null ? state : { ...state, closedAtMs };
}

export interface GateTally {
  go: number;
  noGo: number;
  /** Named approvers who have not decided. */
  undecided: number;
  /** Go's needed: every approver for rule all, else the quorum. */
  required: number;
}

/** Counts the latest decision of each named approver; decisions by anyone else do not count. */
export function gateTally(
  gate: { approvers: readonly Approver[]; rule: GateRule },
  decisions: readonly Pick<GateDecision, 'approverId' | 'verdict'>[],
): GateTally {
  const named = new Set(gate.approvers.map((a) => a.personId));
  const latest = new Map<string, GateDecision['verdict']>();
  for (const d of decisions) if (named.has(d.approverId)) latest.set(d.approverId, d.verdict);
  const verdicts = [...latest.values()];
  const go = verdicts.filter((v) => v === 'go').length;
  const noGo = verdicts.length - go;
  return { go, noGo, undecided: named.size - latest.size, required: gate.rule.kind === 'all' ? named.size : gate.rule.required };
}

/** Any no-go is a veto; otherwise go once the rule's go's are in; otherwise pending. */
export function gateOutcome(
  gate: { approvers: readonly Approver[]; rule: GateRule },
  decisions: readonly Pick<GateDecision, 'approverId' | 'verdict'>[],
): GateOutcome {
  const t = gateTally(gate, decisions);
  if (t.noGo > 0) return 'no-go';
  return t.go >= t.required ? 'go' : 'pending';
}

export const GateRejection = z.enum(['gate-closed', 'not-an-approver', 'override-required']);
export type GateRejection = z.infer<typeof GateRejection>;

export const gateRejectionMessages: Record<GateRejection, string> = {
  'gate-closed': 'the gate is closed',
  'not-an-approver': 'you are not a named approver of this gate',
  'override-required': 'not every criterion passed: a go needs the override flag',
};

export type ApplyDecisionResult =
  { ok: true; change: 'recorded' | 'changed' | 'unchanged'; state: GateState } | { ok: false; rejection: GateRejection };

export interface ApplyDecisionOptions {
  atMs: number;
  /** The gate's current criteria results: a go without override needs them all passed. Absent: not checked. */
  criteria?: readonly CriterionResult[];
}

/**
 * Records an approver's decision. Repeating the latest decision is a no-op success (a retried
 * request, even after the gate closed); a different one is recorded as a change while the gate
 * is open, and the history keeps both.
 */
export function applyDecision(state: GateState, input: GateDecisionInput, options: ApplyDecisionOptions): ApplyDecisionResult {
  const decision: GateDecision = { ...input, override: input.override ?? false };
  const latest = state.decisions.find((d) => d.approverId === decision.approverId);
  if (latest && latest.verdict === decision.verdict && latest.override === decision.override && latest.comment === decision.comment) {
    return { ok: true, change: 'unchanged', state };
  }
  if (state.closedAtMs !== null) return { ok: false, rejection: 'gate-closed' };
  if (!state.approvers.some((a) => a.personId === decision.approverId)) return { ok: false, rejection: 'not-an-approver' };
  if (decision.verdict === 'go' && !decision.override && options.criteria && !criteriaPassed(options.criteria))
    return { ok: false, rejection: 'override-required' };
  const recorded: RecordedDecision = { ...decision, atMs: options.atMs };
  return {
    ok: true,
    change: latest ? 'changed' : 'recorded',
    state: {
      ...state,
      decisions: [...state.decisions.filter((d) => d.approverId !== decision.approverId), recorded],
      history: [...state.history, recorded],
    },
  };
}
