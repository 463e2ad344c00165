/**
 * The program's state as its status query returns it: the shapes the workflow builds, the
 * update contracts answer with, and the API and the command center read.
 */
import { z } from 'zod';
import type { GateKey } from './rules/gates';
import type { CriterionResult } from './rules/criteria';
import type { DomainTrend, FinalGateBlock } from './parallel-run';

export const DepartmentState = z.enum([
  'legacy',
  'going-live',
  'live-parallel',
  'cut-over',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
]);
export type DepartmentState = z.infer<typeof DepartmentState>;

export const ProgramPhase = z.enum(['readiness', 'wave-active', 'gate-open', 'paused', 'completed', 'aborted']);
export type ProgramPhase = z.infer<typeof ProgramPhase>;

export interface GateDecisionView {
  approverId: string;
  decision: 'go' | 'no-go';
  comment?: string;
  overrideReason?: string;
  decidedAt: string;
  evidenceHash: string;
  /** Earlier decisions of the same approver in this round (a changed mind is kept). */
  changedFrom?: 'go' | 'no-go';
}

export interface GateView {
  gate: GateKey;
  status: 'closed' | 'open' | 'go' | 'no-go';
  round: number;
  openedAt?: string;
  deadline?: string;
  overdue: boolean;
  approvers: { personId: string; role: string }[];
  rule: { kind: 'all' } | { kind: 'quorum'; required: number };
  criteria: CriterionResult[];
  decisions: GateDecisionView[];
  /** Why the last round said no-go. */
  noGoReasons?: string[];
  closedAt?: string;
}

export interface DepartmentView {
  code: string;
  wave: number;
  state: DepartmentState;
  attempt: number;
  completedSteps: string[];
  failure?: { stepId: string; reason: string; at: string };
  /** When a rollback failed: the compensation that did not succeed, and what is still to undo. */
  rollbackFailure?: { stepId: string; reason: string; at: string; remaining: string[] };
  history: { at: string; state: DepartmentState; attempt: number; note?: string }[];
  /** Its night's live runbook run (GET .../runbook-runs/{runId}); `awaiting`: its steps are done, the night is not. */
  runbook?: { runId: string; status: 'running' | 'finished' | 'failed' | 'cancelled'; awaiting: boolean };
}

export interface WaveView {
  wave: number;
  departments: string[];
  status: 'pending' | 'going-live' | 'live' | 'exited';
  startedAt?: string;
  wentLiveAt?: string;
  exitGateAllowedAt?: string;
}

export interface ParallelRunView {
  started: boolean;
  nightsCompared: number;
  /** Per domain: consecutive clean nights up to the last one. */
  cleanStreak: Record<string, number>;
  lastNight: { businessDay: string; perDomain: { domain: string; status: string; differingKeys: number; mismatchRate: number }[] } | null;
  endsNoEarlierThan: string | null;
  /** Why the final gate may not be requested yet (empty: it may). */
  finalGateBlockers: string[];
  /** The same, as data for the command center to word in the reader's language. */
  finalGateBlocks: FinalGateBlock[];
  /** Domains whose last night was critical, with what the plan asks for. */
  critical: { domain: string; onCritical: string }[];
  /** Gate evidence per domain: nights by status, mismatch rates and their direction. */
  trend: DomainTrend[];
  /** The plan's word for each domain that has one (domain name -> title): pages show it instead of the name. */
  domainTitles: Record<string, string>;
  /** Per wave: the nights compared since it went live (what its exit gate sees). */
  nightsSinceWaveLive: { wave: number; compared: number; clean: number; warning: number; critical: number; failed: number }[];
}

export interface EmergencyView {
  emergency: number;
  status: 'open' | 'restored' | 'closed';
  reason: string;
  declaredBy: string;
  departments: string[];
  declaredAt: string;
  restoredAt?: string;
  backlogClearedAt?: string;
  closedAt?: string;
  /** Paper records awaiting back-entry, per department (absent: not reported yet). */
  backlog: Record<string, number>;
  packets: Record<string, { packetId: string; census: number; activeOrders: number; pendingResults: number } | { error: string }>;
  /** Go-lives that were running and stay paused until the lead resumes them or rolls them back. */
  pausedGoLives: string[];
  timeline: { at: string; event: string; department?: string; sinceDeclaredMs: number }[];
}

export interface ProgramStatus {
  programId: string;
  hospital: string;
  timeZone: string;
  phase: ProgramPhase;
  activeWave: number | null;
  waves: WaveView[];
  departments: DepartmentView[];
  gates: GateView[];
  parallelRun: ParallelRunView;
  /** The open emergency, or the last one. */
  emergency?: EmergencyView;
  /** Why the program is paused, when it is. */
  pausedReason?: string;
  /** What the lead may do now: the names of the allowed actions. */
  allowedActions: string[];
  updatedAt: string;
}
