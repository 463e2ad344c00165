/**
 * Errors that no retry can fix, turned into non-retryable typed failures at the activity's edge,
 * so the workflow hears of them at once instead of an activity that retries for ever (a raise
 * the server refuses kept an emergency request waiting until the client gave up).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { AdapterFailure } from '../adapters/hospital';
import { ErrorType } from '../domain/errors';

// gRPC status codes a retry cannot change: INVALID_ARGUMENT, PERMISSION_DENIED, UNIMPLEMENTED.
const grpcForGood = new Set([3, 7, 12]);

function grpcCode(err: unknown): number | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** The failure to throw instead of `err`, or undefined when a retry may help (a server away, a timeout). */
export function permanentFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return undefined;
  // A hospital system's refusal, raised Temporal-free by its adapter.
  if (err instanceof AdapterFailure)
    return ApplicationFailure.create({
      type: err.type,
      nonRetryable: true,
      message: err.message,
      details: err.details ? [err.details] : undefined,
    });
  const e = err as { name?: string };
  // Messages are left out on purpose: a schema or SQL error may quote the value it refused.
  if (e?.name === 'ZodError')
    return ApplicationFailure.create({ type: ErrorType.InvalidInput, nonRetryable: true, message: 'input does not fit its schema' });
  const grpc = grpcCode(err);
  if (grpc !== undefined && grpcForGood.has(grpc))
    return ApplicationFailure.create({
      type: ErrorType.TemporalRejected,
      nonRetryable: true,
      message: `Temporal refused the request (gRPC status ${grpc})`,
      details: [{ grpcStatus: grpc }],
    });
  // PostgreSQL's refusals (a missing grant, a missing column) stay retryable on purpose: the
  // audit and timeline writes wait for an operator's fix rather than fail the workflow for good.
  return undefined;
}

/** Wraps every activity so an error of a kind that can never succeed fails fast. */
export function failFast<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw permanentFailure(err) ?? err;
      }
    };
  }
  return wrapped as T;
}
