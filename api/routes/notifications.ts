import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { workflowIds } from '../../domain/ids';
import { TestNotificationInput, TestNotificationStatus, testNotificationStatusQuery } from '../../domain/messages';
import type { testNotificationWorkflow } from '../../workflows';
import type { Pool } from 'pg';
import { ValidationError } from '../errors';
import { roleGroups } from '../../domain/permissions';
import { route } from '../route';

const Started = z.object({ workflowId: z.string(), status: z.string() });
const IdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an opaque id') });

/** Is this the address of an enabled person? (Addresses compare case-insensitively, as mailboxes do in practice.) */
async function inDirectory(pool: Pool, email: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM people WHERE lower(email) = lower($1) AND NOT disabled LIMIT 1', [email]);
  return rowCount === 1;
}

export const sendTestNotificationRoute = route({
  method: 'post',
  path: '/v1/notifications/test',
  summary: 'Send a test e-mail to a person, through the whole chain',
  tags: ['notifications'],
  roles: roleGroups.responders,
  // Who asked is the signed-in person, never a free-text field of the body.
  body: TestNotificationInput.omit({ requestedBy: true }),
  responses: {
    202: { description: 'Accepted; the workflow sends it', schema: Started },
    400: { description: 'Invalid, or `to` is not the address of an enabled person in the directory (rule not-in-directory)' },
  },
  async handle({ body, ctx }) {
    // Only to someone in the directory: otherwise the API is a relay that sends the hospital's
    // e-mails, from its own sender, to any address anyone with a token types in.
    if (!(await inDirectory(ctx.deps.pool, body.to))) {
      throw new ValidationError([
        { path: 'body.to', rule: 'not-in-directory', message: 'must be the e-mail address of an enabled person in the directory' },
      ]);
    }
    // The Idempotency-Key makes a retried POST land on the same workflow instead of a second e-mail.
    const key = ctx.req.header('idempotency-key');
    const id = key && /^[A-Za-z0-9._-]{1,64}$/.test(key) ? key : randomUUID();
    const workflowId = workflowIds.testNotification(id);
    await ctx.deps.temporal.workflow.start<typeof testNotificationWorkflow>('testNotificationWorkflow', {
      workflowId,
      taskQueue: ctx.deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ ...body, requestedBy: ctx.principal!.personId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { status: 202, body: { workflowId, status: 'started' }, headers: { Location: `/v1/notifications/test/${id}` } };
  },
});

export const getTestNotificationRoute = route({
  method: 'get',
  path: '/v1/notifications/test/{id}',
  summary: 'Where a test notification is',
  tags: ['notifications'],
  roles: roleGroups.everyone,
  params: IdParams,
  responses: { 200: { description: 'Its state', schema: TestNotificationStatus }, 404: { description: 'No such notification' } },
  async handle({ params, ctx }) {
    const handle = ctx.deps.temporal.workflow.getHandle(workflowIds.testNotification(params.id));
    return { status: 200, body: await handle.query(testNotificationStatusQuery) };
  },
});
