/**
 * The audit trail's entries and verification results: the API's response schemas, and the types
 * platform/audit.ts returns and the command center shows. One definition for all three.
 */
import { z } from 'zod';

export const AuditEntry = z.object({
  seq: z.number().int(),
  eventKey: z.string().nullable(),
  at: z.string(),
  actor: z.string(),
  roles: z.array(z.string()),
  action: z.string(),
  target: z.record(z.string(), z.string()),
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
  result: z.string(),
  details: z.record(z.string(), z.unknown()).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditProblem = z.enum([
  'missing',
  'prev_hash_mismatch',
  'hash_mismatch',
  'head_mismatch',
  /** A signed checkpoint names a hash the row at its sequence number no longer has: history was re-chained. */
  'checkpoint_mismatch',
  /** A checkpoint's signature is wrong (forged, or signed with another key). */
  'checkpoint_forged',
  /** Checkpoints are numbered and chained by their signatures: one is missing between two others. */
  'checkpoint_missing',
]);
export type AuditProblem = z.infer<typeof AuditProblem>;

export const AuditBreak = z.object({
  /** The sequence number of the audit entry concerned (for a checkpoint: the entry it anchors). */
  seq: z.number().int(),
  problem: AuditProblem,
  /** The checkpoint's number, for checkpoint problems. */
  checkpoint: z.number().int().optional(),
});
export type AuditBreak = z.infer<typeof AuditBreak>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  count: z.number().int().describe('Entries found intact, in order, before any break'),
  brokenAt: z.number().int().optional().describe('The first sequence number that is not intact'),
  problem: AuditProblem.optional(),
  breaks: z.array(AuditBreak).optional().describe('Every break, in sequence order (the first 1000)'),
  breaksTotal: z.number().int().optional(),
  checkpoints: z.number().int().optional().describe('Signed checkpoints of the chain head checked'),
  anchoredThrough: z.number().int().optional().describe('The last sequence number a valid checkpoint vouches for'),
  unanchored: z.number().int().optional().describe('Entries after the newest checkpoint: chained, not yet signed'),
});
export type AuditVerification = z.infer<typeof AuditVerification>;
