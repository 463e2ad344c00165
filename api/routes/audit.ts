import { z } from 'zod';
import { listAudit, verifyAuditChain } from '../../platform/audit';
import { loadAuditKey } from '../../platform/audit-anchor';
import { AuditEntry, AuditVerification } from '../../domain/audit';
import { roleGroups } from '../../domain/permissions';
import { intParam, route } from '../route';

const { auditors } = roleGroups;
const Opaque = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/, 'must be an opaque id');

const AuditPage = z.object({
  entries: z.array(AuditEntry),
  nextAfter: z.number().int().nullable().describe('Pass as `after` for the next page; null on the last page'),
  nextBefore: z
    .number()
    .int()
    .nullable()
    .describe('Newest-first paging: pass as `before` for the next (older) page; null on the last page'),
});

export const listAuditRoute = route({
  method: 'get',
  path: '/v1/audit',
  summary: 'The audit trail in sequence order (or newest first with `before`), optionally for one target id or one actor',
  tags: ['audit'],
  roles: auditors,
  query: z.object({
    after: intParam(0, Number.MAX_SAFE_INTEGER).default(0),
    before: intParam(0, Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('Newest first: entries before this sequence number; 0 starts at the newest'),
    limit: intParam(1, 500).default(100),
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
  roles: auditors,
  responses: {
    200: {
      description: 'The verification (ok false names the first broken sequence number and lists every break)',
      schema: AuditVerification,
    },
  },
  async handle({ ctx }) {
    return { status: 200, body: await verifyAuditChain(ctx.deps.pool, { key: loadAuditKey(ctx.deps.config) }) };
  },
});
