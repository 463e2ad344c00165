/** The plan's adapters (simulated, http) and the steps and compensations they run. */
import { z } from 'zod';
import { ActionCode, AdapterId, DepartmentCode, Params, StepId, SystemKind, Template } from './scalars';

/** What an http adapter sends for a step or a compensation. */
export const HttpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Relative to the adapter's baseUrl; placeholders allowed. */
  // A check on the string itself (not a pipe), so that the OpenAPI document carries the pattern.
  path: Template(2000).regex(/^\/\S*$/, 'must start with / and contain no spaces'),
  /** A body template: only {{department}}, {{step}}, {{programId}}, {{attempt}}. */
  body: Template(16_000).optional(),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

export const Compensation = z.strictObject({
  action: ActionCode,
  params: Params,
  /** Required when the step's adapter is http. */
  request: HttpRequest.optional(),
});
export type Compensation = z.infer<typeof Compensation>;

export const StepShape = z.strictObject({
  id: StepId,
  system: SystemKind,
  action: ActionCode,
  adapter: AdapterId,
  params: Params,
  /** Required when the adapter is http. */
  request: HttpRequest.optional(),
  /** Optional in the shape only so that a missing one is reported as `step-without-compensation`. */
  compensation: Compensation.optional(),
});
export type Step = z.output<typeof StepShape> & { compensation: Compensation };

/** A scripted failure of the simulated adapter, for tests and demos. */
export const SimulatedFailure = z.strictObject({
  /** Absent: the step fails in every department. */
  department: DepartmentCode.optional(),
  step: StepId,
  /** reject: the system refuses for good; transient: the first `times` attempts fail, then it works. */
  mode: z.enum(['reject', 'transient']).default('reject'),
  times: z.number().int().min(1).max(100).default(1),
});
export type SimulatedFailure = z.infer<typeof SimulatedFailure>;

export const SimulatedAdapter = z.strictObject({
  id: AdapterId,
  kind: z.literal('simulated'),
  delayMs: z.number().int().min(0).max(60_000).default(0),
  failSteps: z.array(SimulatedFailure).default([]),
  failCompensations: z.array(SimulatedFailure).default([]),
});

/** A header value is a literal or the name of an environment variable holding the secret: secrets never sit in a plan. */
export const HeaderValue = z.union([
  z.string().max(2000),
  z.strictObject({ secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name') }),
]);
export type HeaderValue = z.infer<typeof HeaderValue>;

export const secretHeaders = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie']);

export const HttpAdapter = z.strictObject({
  id: AdapterId,
  kind: z.literal('http'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), HeaderValue).default({}),
  /**
   * The vendor's downtime endpoints, for the emergency switch to paper. `enter` answers with the
   * department's snapshot as JSON ({ census, activeOrders, pendingResults }, arrays of objects)
   * for its downtime packet. In these templates {{step}} is `downtime` and {{attempt}} the
   * emergency's number. Absent: the department's team switches by hand, the emergency shows it.
   */
  downtime: z.strictObject({ enter: HttpRequest, leave: HttpRequest }).optional(),
});

export const Adapter = z.discriminatedUnion('kind', [SimulatedAdapter, HttpAdapter]);
export type Adapter = z.infer<typeof Adapter>;
