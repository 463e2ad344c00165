import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { canonicalJson } from '../platform/audit';
import type { CriterionResult } from '../domain/rules/criteria';

/** What a gate decision was made on, frozen: stored whole, hashed, and only the hash returns to the workflow. */
export interface GateDecisionSnapshot {
  eventKey: string;
  programId: string;
  gate: string;
  round: number;
  approverId: string;
  decision: 'go' | 'no-go';
  comment?: string;
  overrideReason?: string;
  decidedAtMs: number;
  criteria: CriterionResult[];
  /** Other evidence the approvers saw (counts, codes): departments' states, open incidents... */
  context: Record<string, unknown>;
}

export function createRolloutActivities({ pool }: { pool: Pool }) {
  return {
    /** Stores a decision with its evidence snapshot; idempotent on eventKey. Returns the snapshot's sha256. */
    async recordGateDecision(snapshot: GateDecisionSnapshot): Promise<{ evidenceHash: string }> {
      const evidence = {
        criteria: snapshot.criteria,
        context: snapshot.context,
        decidedAtMs: snapshot.decidedAtMs,
        approverId: snapshot.approverId,
        decision: snapshot.decision,
        comment: snapshot.comment ?? null,
        overrideReason: snapshot.overrideReason ?? null,
      };
      const evidenceHash = createHash('sha256').update(canonicalJson(evidence)).digest('hex');
      await pool.query(
        `INSERT INTO gate_decision (program_id, gate_id, round, approver_id, decision, override_reason, comment, evidence, evidence_hash, decided_at, event_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0), $11)
         ON CONFLICT (event_key) DO NOTHING`,
        [
          snapshot.programId,
          snapshot.gate,
          snapshot.round,
          snapshot.approverId,
          snapshot.decision,
          snapshot.overrideReason ?? null,
          snapshot.comment ?? null,
          evidence,
          evidenceHash,
          snapshot.decidedAtMs,
          snapshot.eventKey,
        ],
      );
      return { evidenceHash };
    },
  };
}
