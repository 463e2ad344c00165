import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retryPolicies } from './retry-policies';
import { testNotificationStatusQuery, type TestNotificationInput, type TestNotificationStatus } from '../domain/messages';

const { sendEmail } = proxyActivities<Activities>({
  // One SMTP conversation takes seconds; 30 s bounds a hung socket without cutting a slow relay.
  startToCloseTimeout: '30s',
  // A test message is worth 10 minutes of retries, not more: the person is waiting for it now.
  scheduleToCloseTimeout: '10m',
  retry: retryPolicies.untilDelivered,
});

/** Sends one test e-mail to a person: proves the whole chain API -> Temporal -> worker -> SMTP. */
export async function testNotificationWorkflow(input: TestNotificationInput): Promise<TestNotificationStatus> {
  const status: TestNotificationStatus = { state: 'waiting' };
  setHandler(testNotificationStatusQuery, () => status);
  if (input.delaySeconds > 0) await sleep(input.delaySeconds * 1000);
  status.state = 'sending';
  const sent = await sendEmail({
    // Computed here, not in the activity: a retried or replayed send carries the same key.
    idempotencyKey: `${workflowInfo().workflowId}/${workflowInfo().firstExecutionRunId}/mail`,
    to: input.to,
    message: { template: 'test', requestedBy: input.requestedBy, reference: workflowInfo().workflowId },
  });
  Object.assign(status, { state: 'sent', messageId: sent.messageId, sentAt: sent.sentAt });
  return status;
}
