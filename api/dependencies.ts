/**
 * Which dependency an error says is down or too slow, so the one error handler can answer a
 * quick 503 naming it instead of a 500. Errors are recognised by their shape: the API reaches
 * PostgreSQL through `pg` and Temporal through `@temporalio/client` (gRPC) only, and the
 * mailer never runs in a request (the worker sends e-mail), so a raw socket error in a request
 * can only come from `pg`.
 */
import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { DatabaseError } from 'pg';

export type Dependency = 'postgres' | 'temporal';

/** Seconds a client should wait before trying again after a 503: long enough for a restart to show, short for people waiting. */
export const retryAfterSeconds = 5;

// gRPC codes that mean "server unreachable, overloaded or too slow", not "your request is wrong".
const grpcUnavailable = new Set([
  1, // CANCELLED: our own deadline or abort signal ended the call
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

// SQLSTATEs of a server that cannot serve now: class 08 (connection), 53 (insufficient
// resources), shutdown and start-up (57P01-57P03), statement_timeout / cancel (57014) and
// lock_timeout (55P03).
const pgUnavailable = (code: string) =>
  code.startsWith('08') || code.startsWith('53') || /^57P0[1-3]$/.test(code) || code === '57014' || code === '55P03';

// Socket failures from the pg driver (see above: nothing else opens sockets in a request).
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

// The pg driver and its pool throw plain Errors for these; their messages are part of pg 8's behaviour.
const pgMessages =
  /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error and is not queryable|Cannot use a pool after calling end on the pool)/;

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return isGrpcServiceError(cause) ? cause.code : undefined;
}

/** The dependency that `err` shows to be down or too slow, or undefined for any other error. */
export function unavailableDependency(err: unknown): Dependency | undefined {
  if (!err || typeof err !== 'object') return undefined;
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
  const grpc = grpcCode(err);
  if (grpc !== undefined) return grpcUnavailable.has(grpc) ? 'temporal' : undefined;
  if (err instanceof ServiceError) return undefined;
  if (err instanceof DatabaseError) return err.code && pgUnavailable(err.code) ? 'postgres' : undefined;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && socketCodes.has(e.code)) return 'postgres';
  if (typeof e.message === 'string' && pgMessages.test(e.message)) return 'postgres';
  // AggregateError (a dual-stack connect that failed on every address) carries the socket codes in its errors.
  if (err instanceof AggregateError) return err.errors.map(unavailableDependency).find(Boolean);
  return undefined;
}

export const dependencyMessages: Record<Dependency, string> = {
  postgres: 'PostgreSQL is unavailable or did not answer in time; try again shortly',
  temporal: 'Temporal (the workflow service or its worker) is unavailable or did not answer in time; try again shortly',
};
