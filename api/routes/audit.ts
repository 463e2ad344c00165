import { z } from 'zod';
import { listAudit, verifyAuditChain } from '../../platform/audit';
import { route } from '../route';

const auditRoles = ['admin', 'lead', 'leadership'] as const;
const Opaque = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/, 'must be an opaque id');

const AuditEntry = z.object({
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
const AuditPage = z.object({
  entries: z.array(AuditEntry),
  nextAfter: z.number().int().nullable().describe('Pass as `after` for the next page; null on the last page'),
  nextBefore: z.number().int().nullable().describe('Newest-first paging: pass as `before` for the next (older) page; null on the last page'),
});
const AuditVerification = z.object({
  ok: z.boolean(),
  count: z.number().int().describe('Entries found intact, in order, before any break'),
  brokenAt: z.number().int().optional().describe('The first sequence number that is not intact'),
  problem: z.enum(['missing', 'prev_hash_mismatch', 'hash_mismatch', 'head_mismatch']).optional(),
});

export const listAuditRoute = route({
  method: 'get',
  path: '/v1/audit',
  summary: 'The audit trail in sequence order (or newest first with `before`), optionally for one target id or one actor',
  tags: ['audit'],
  roles: [...auditRoles],
  query: z.object({
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    before: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('Newest first: entries before this sequence number; 0 starts at the newest'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    target: Opaque.optional().describe('An id among the target values (a program id, a workflow id ...)'),
    actor: Opaque.optional(),
  }),
  responses: { 200: { description: 'One page of entries', schema: AuditPage } },
  async handle({ query, ctx }) {
    return { status: 200, body: await listAudit(ctx.deps.pool, query) };
  },
});

export const verifyAuditRoute = route({
  method: 'get',
  path: '/v1/audit/verify',
  summary: 'Recompute the hash chain: is every entry intact and in place?',
  tags: ['audit'],
  roles: [...auditRoles],
  responses: { 200: { description: 'The verification (ok false names the first broken sequence number)', schema: AuditVerification } },
  async handle({ ctx }) {
    return { status: 200, body: await verifyAuditChain(ctx.deps.pool) };
  },
});
