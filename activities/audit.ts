import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ErrorType } from '../domain/errors';
import { Role } from '../domain/people';
import { appendAudit } from '../platform/audit';

const Opaque = z.string().min(1).max(200);

export const RecordAuditInput = z.object({
  /** Computed by the workflow from its id and the transition (e.g. `${workflowId}:gate-decided:${gateId}`): a retried activity appends once. */
  eventKey: z.string().min(1).max(300),
  /** The person who caused the transition, or the workflow itself (e.g. 'workflow:program') for timers and automatic steps. */
  actor: Opaque,
  roles: z.array(Role).optional(),
  /** The workflow's event name, e.g. 'gate.decided', 'department.live'. */
  action: Opaque,
  /** Opaque ids only, e.g. { workflowId, programId, department }. */
  target: z.record(z.string(), Opaque),
  reason: z.string().max(2000).optional(),
  /** The outcome word, e.g. 'approved', 'rolled_back'. */
  result: Opaque,
  /** Codes and counts only, never patient data. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type RecordAuditInput = z.input<typeof RecordAuditInput>;

export function createAuditActivities({ pool }: { pool: Pool }) {
  return {
    /** Appends a workflow transition to the audit chain; idempotent on eventKey. */
    async recordAudit(input: RecordAuditInput): Promise<{ seq: number; duplicate: boolean }> {
      const parsed = RecordAuditInput.safeParse(input);
      if (!parsed.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          message: 'audit entry does not fit its schema',
          nonRetryable: true,
        });
      }
      const { seq, duplicate } = await appendAudit(pool, { ...parsed.data, reason: parsed.data.reason?.replace(/\0/g, '') });
      return { seq, duplicate };
    },
  };
}
