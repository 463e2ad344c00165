import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { workflowIds } from '../../domain/ids';
import { TestNotificationInput, TestNotificationStatus, testNotificationStatusQuery } from '../../domain/messages';
import type { testNotificationWorkflow } from '../../workflows';
import { route } from '../route';

const Started = z.object({ workflowId: z.string(), status: z.string() });
const IdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an opaque id') });

export const sendTestNotificationRoute = route({
  method: 'post',
  path: '/v1/notifications/test',
  summary: 'Send a test e-mail to a person, through the whole chain',
  tags: ['notifications'],
  roles: ['admin', 'lead', 'oncall'],
  // Who asked is the signed-in person, never a free-text field of the body.
  body: TestNotificationInput.omit({ requestedBy: true }),
  responses: { 202: { description: 'Accepted; the workflow sends it', schema: Started } },
  async handle({ body, ctx }) {
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
  roles: ['admin', 'lead', 'oncall', 'leadership', 'viewer'],
  params: IdParams,
  responses: { 200: { description: 'Its state', schema: TestNotificationStatus }, 404: { description: 'No such notification' } },
  async handle({ params, ctx }) {
    const handle = ctx.deps.temporal.workflow.getHandle(workflowIds.testNotification(params.id));
    return { status: 200, body: await handle.query(testNotificationStatusQuery) };
  },
});
