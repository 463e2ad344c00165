/**
 * Every ApplicationFailure type golive raises, in one place. Workflows switch on these and
 * rethrow what they do not know; the API maps them to HTTP statuses.
 */
export const ErrorType = {
  /** Input that can never succeed: do not retry. */
  InvalidInput: 'InvalidInput',
  /** A request that the current state does not allow (HTTP 409). */
  InvalidState: 'InvalidState',
  /** The caller is not allowed to do this (HTTP 403). */
  NotAllowed: 'NotAllowed',
  /** A hospital system refused an action for good. */
  AdapterRejected: 'AdapterRejected',
  /** SMTP refused the message for good (bad address, policy). */
  MailRejected: 'MailRejected',
  /** A chat webhook refused the message for good (a bad robot key, a refused signature), or its channel is gone. */
  ChatRejected: 'ChatRejected',
  /** A chat webhook is down, slow or rate-limiting: retried. */
  ChatUnavailable: 'ChatUnavailable',
  /** Another attempt is sending this very e-mail right now: retried once it is done (then found sent). */
  MailInFlight: 'MailInFlight',
  /** A comparison could not run (a database unreachable): retried, then the night is recorded as failed. */
  ComparisonFailed: 'ComparisonFailed',
  /** Temporal refused the request for good (INVALID_ARGUMENT: a search attribute of the wrong type, a payload too big). */
  TemporalRejected: 'TemporalRejected',
  /** The plan names an adapter kind this worker does not have. */
  UnknownAdapter: 'UnknownAdapter',
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
/** Failures retrying cannot fix: the activity fails at once and the workflow deals with it (records, raises) instead of waiting for ever. */
export const nonRetryableErrorTypes: ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.InvalidState,
  ErrorType.NotAllowed,
  ErrorType.AdapterRejected,
  ErrorType.MailRejected,
  ErrorType.ChatRejected,
  ErrorType.TemporalRejected,
  ErrorType.UnknownAdapter,
];
