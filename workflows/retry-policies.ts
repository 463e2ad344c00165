/**
 * Retry policies that several activity proxies share, named by why they retry as they do. Each
 * proxy still states its timeouts and picks its policy with a comment of its own; a policy used
 * by one proxy alone stays written out there. Changing a value here changes every user's
 * behaviour (not its history: retries are the server's, the commands stay the same).
 */
import type { RetryPolicy } from '@temporalio/workflow';
import { nonRetryableErrorTypes } from '../domain/errors';

export const retryPolicies = {
  /**
   * Short, idempotent PostgreSQL writes (audit entries, decision rows, an incident's timeline)
   * that must never be lost: tries from 1 s backing off to a minute apart, without an attempt
   * limit, until PostgreSQL is back.
   */
  untilRecorded: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  /**
   * Raises and e-mails people must get (each idempotent on its raise id or mail key): from 2 s
   * backing off to a minute apart until Temporal or SMTP answers again. A proxy whose message
   * is useless past some time bounds it with its scheduleToCloseTimeout.
   */
  untilDelivered: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  /**
   * Reads of the hospital's own databases during a migration weekend: a database away is usually
   * back within the hour and nothing can be verified meanwhile, so tries start 30 s apart, back
   * off to 10 minutes and never give up (the verification keeps what it finished).
   */
  untilSourceIsBack: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes },
} as const satisfies Record<string, RetryPolicy>;
