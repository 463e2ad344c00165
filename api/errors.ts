import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { ApplicationFailure, WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ErrorType } from '../domain/errors';
import type { Logger } from '../platform/logger';
import { errorMessage, requestLocale } from './locale';
import { dependencyMessages, retryAfterSeconds, unavailableDependency, type Dependency } from './dependencies';

export interface FieldIssue {
  /** Where: body.departments.3.code */
  path: string;
  /** Which rule: zod's issue code (too_small, invalid_type, custom ...). */
  rule: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class ValidationError extends HttpError {
  constructor(readonly issues: FieldIssue[]) {
    super(400, 'validation_failed', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
}

/** A dependency is down or too slow: 503 with Retry-After, naming it. Thrown where a route knows it first-hand. */
export class DependencyUnavailableError extends HttpError {
  constructor(
    readonly dependency: Dependency,
    message = dependencyMessages[dependency],
  ) {
    super(503, 'dependency_unavailable', message, { dependency });
  }
}

/** One line naming each field and its rule's message ("body.email: 无效电子邮件"). */
const issuesMessage = (issues: FieldIssue[]) => issues.map((i) => `${i.path}: ${i.message}`).join('; ');

export function zodIssues(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    // Cross-field rules carry a stable name (department-in-two-waves); others use zod's code.
    rule:
      i.code === 'custom' && typeof (i.params as { rule?: unknown } | undefined)?.rule === 'string'
        ? (i.params as { rule: string }).rule
        : i.code,
    message: i.message,
  }));
}

/** The code an error answer would carry (not_found, dependency_unavailable, internal), for a stream that cannot answer with a status. */
export function errorCodeOf(err: unknown): string {
  if (err instanceof HttpError) return err.code;
  if (err instanceof WorkflowNotFoundError) return 'not_found';
  return unavailableDependency(err) ? 'dependency_unavailable' : 'internal';
}

const statusOfFailure: Partial<Record<string, number>> = {
  [ErrorType.InvalidInput]: 400,
  [ErrorType.NotAllowed]: 403,
  [ErrorType.InvalidState]: 409,
};

/**
 * The one error handler. Clients get a status, a code, a message and (for 4xx) the details;
 * never a stack trace. Unexpected errors are logged by kind only: their messages may hold
 * whatever a driver put there.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    const down = err instanceof HttpError ? undefined : unavailableDependency(err);
    if (down) {
      // Logged by kind only, like any failure we did not choose; the client learns which dependency and when to retry.
      logger.warn(
        { requestId, dependency: down, err: { type: (err as Error).constructor?.name, code: (err as { code?: unknown }).code } },
        'dependency unavailable',
      );
      err = new DependencyUnavailableError(down);
    }
    if (err instanceof DependencyUnavailableError) {
      if (res.headersSent) return;
      res.setHeader('Retry-After', String(retryAfterSeconds));
    }
    const locale = requestLocale(req, res);
    if (err instanceof ValidationError) {
      // The issues name each field and rule; their messages are already in the caller's language where zod words them.
      res.status(400).json({ error: err.code, message: issuesMessage(err.issues), ...err.details, requestId });
      return;
    }
    if (err instanceof HttpError) {
      const dependency = (err.details as { dependency?: string } | undefined)?.dependency ?? '';
      res
        .status(err.status)
        .json({ error: err.code, message: errorMessage(locale, err.code, err.message, { dependency }), ...err.details, requestId });
      return;
    }
    if (err instanceof z.ZodError) {
      const issues = zodIssues(err, 'body');
      res.status(400).json({ error: 'validation_failed', message: issuesMessage(issues), issues, requestId });
      return;
    }
    // Body-parser errors carry their own 4xx status (bad JSON, too large, bad charset).
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = (err as { type?: string }).type ?? 'bad_request';
      const error = code.replace(/\./g, '_');
      res.status(status).json({
        error,
        message: errorMessage(locale, error, status === 413 ? 'request body too large' : 'request body is not valid JSON'),
        requestId,
      });
      return;
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const failure = err.cause;
      const mapped = (failure.type ? statusOfFailure[failure.type] : undefined) ?? 422;
      res.status(mapped).json({
        error: failure.type ?? 'rejected',
        message: errorMessage(locale, failure.type ?? 'rejected', failure.message),
        ...(failure.details?.[0] as object | undefined),
        requestId,
      });
      return;
    }
    if (err instanceof WorkflowNotFoundError) {
      res.status(404).json({ error: 'not_found', message: errorMessage(locale, 'not_found', 'no such workflow'), requestId });
      return;
    }
    logger.error({ requestId, err: { type: (err as Error)?.constructor?.name, code: (err as { code?: unknown }).code } }, 'request failed');
    if (res.headersSent) return;
    res
      .status(500)
      .json({ error: 'internal', message: errorMessage(locale, 'internal', 'internal error; quote the request id'), requestId });
  };
}
