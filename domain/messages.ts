/**
 * Signals, queries and updates, with their zod schemas, defined once and imported by both
 * workflows/ and api/. Nothing here may touch Node built-ins: it runs in the workflow sandbox.
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';

export const TestNotificationInput = z.object({
  to: z.email().max(254),
  /** Sent after this delay (e.g. to check the on-call mailbox on go-live morning): a durable timer, so restarts lose nothing. */
  delaySeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0),
  requestedBy: z.string().min(1).max(100).default('anonymous'),
});
export type TestNotificationInput = z.infer<typeof TestNotificationInput>;

export const TestNotificationStatus = z.object({
  state: z.enum(['waiting', 'sending', 'sent']),
  messageId: z.string().optional(),
  sentAt: z.string().optional(),
});
export type TestNotificationStatus = z.infer<typeof TestNotificationStatus>;

export const testNotificationStatusQuery = defineQuery<TestNotificationStatus>('testNotificationStatus');
