/**
 * Updates from the API, in the two waits platform/temporal.ts explains: accepted by the worker
 * within `updateAcceptMs` (else 503: nothing is serving the workflow), then finished within
 * `updateCompleteMs` (else 202: accepted and still running, which is no outage). Routes call
 * this instead of `executeUpdate`, whose single wait cannot tell the two apart.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { apiTemporalDeadlines } from '../platform/temporal';
import type { Reply, RequestContext } from './route';

export const UpdatePending = z.object({ status: z.literal('accepted'), updateId: z.string(), message: z.string() });

export type UpdateOutcome<Ret> = { done: true; result: Ret } | { done: false; updateId: string };

/**
 * The Update's id: from the request's Idempotency-Key where there is one, so a client retrying
 * after a 503 or a lost answer lands on the Update it already sent (Temporal runs an id once per
 * workflow run) rather than a second one.
 */
function updateIdOf(ctx: Pick<RequestContext, 'req' | 'principal'>): string {
  const key = ctx.req.header('idempotency-key');
  if (!key) return randomUUID();
  return `idem-${createHash('sha256')
    .update(`${ctx.principal?.personId ?? ''}\0${ctx.req.method} ${ctx.req.path}\0${key}`)
    .digest('hex')
    .slice(0, 40)}`;
}

export async function runUpdate<Ret, Arg>(
  ctx: Pick<RequestContext, 'req' | 'principal'>,
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  deadlines: Pick<typeof apiTemporalDeadlines, 'updateAcceptMs' | 'updateCompleteMs'> = apiTemporalDeadlines,
): Promise<UpdateOutcome<Ret>> {
  const connection = handle.client.connection;
  const accepted = await connection.withDeadline(Date.now() + deadlines.updateAcceptMs, () =>
    handle.startUpdate(update, { args: [arg], updateId: updateIdOf(ctx), waitForStage: WorkflowUpdateStage.ACCEPTED }),
  );
  try {
    return { done: true, result: await connection.withDeadline(Date.now() + deadlines.updateCompleteMs, () => accepted.result()) };
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { done: false, updateId: accepted.updateId };
    throw err;
  }
}

/** 200 with the Update's result, or 202 when it was accepted but has not finished yet. */
export function updateReply<Ret>(outcome: UpdateOutcome<Ret>): Reply {
  if (outcome.done) return { status: 200, body: outcome.result };
  const body: z.infer<typeof UpdatePending> = {
    status: 'accepted',
    updateId: outcome.updateId,
    message: 'accepted and still running; read the state to see its effect',
  };
  return { status: 202, body };
}
