/** The program routes' one shape for an Update: a POST built from the update's contract. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { actorOf } from '../../domain/people';
import type { AnyProgramUpdate } from '../../domain/program-contract';
import { HttpError } from '../errors';
import { invalidateProgram, programExists, programHandle } from '../programs';
import { route, type RouteDef } from '../route';
import { runUpdate, UpdatePending, updateReply } from '../temporal-calls';

/**
 * A POST that becomes one Update of the program workflow, built from the update's contract
 * (domain/program-contract.ts): its body, path parameters and roles; the contract assembles the
 * input from the validated parts and the authenticated person. The workflow's answer comes out,
 * or its validator's refusal (409 with the state and the allowed actions, 403 for non-approvers).
 */
export function programUpdateRoute<C extends AnyProgramUpdate>(
  contract: C,
  def: Pick<RouteDef, 'path' | 'summary' | 'tags' | 'responses'>,
) {
  return route<C['body'], C['params']>({
    method: 'post',
    ...def,
    roles: contract.roles,
    params: contract.params,
    body: contract.body,
    // The Idempotency-Key is the Update's id (api/temporal-calls.ts): a retry lands on the same Update.
    keyedByIdempotencyKey: true,
    // Any update's validator may refuse it in the program's current state (errors.ts maps the failure types).
    responses: {
      409: { description: 'Not allowed now: the body names the phase and the actions allowed' },
      422: { description: 'Refused by the program for another reason, named in the body' },
      ...def.responses,
      202: {
        description: 'Accepted by the workflow and still running after 30 s (api/temporal-calls.ts): read the state for its effect',
        schema: UpdatePending,
      },
    },
    async handle({ params, body, ctx }) {
      const { programId, ...fromPath } = params as { programId: string };
      const input = contract.input(body, fromPath, actorOf(ctx.principal!), ctx.requestId);
      const outcome = await runUpdate(ctx, programHandle(ctx.deps.temporal, programId), contract.update, input).catch(
        async (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // No workflow takes it: no such program (404), or one that has finished and takes no more changes.
          await programExists(ctx.deps.pool, programId);
          throw new HttpError(
            409,
            'program_finished',
            `program ${programId} has finished; it takes no more changes (a new go-live needs a new programId)`,
            { programId },
          );
        },
      );
      // Applied (or accepted and running): the next read in this process shows it.
      invalidateProgram(ctx.deps, programId);
      // Applied, not yet answered: where tests/integration/api-crash.test.ts has the process die (config refuses it outside tests).
      if (ctx.deps.config.TEST_CRASH_API_AFTER_UPDATE) process.kill(process.pid, 'SIGKILL');
      return updateReply(outcome);
    },
  });
}
