import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type WorkflowClientInterceptor } from '@temporalio/client';
import type { Config } from './config';

/**
 * Deadlines of the API's Temporal calls. A person waits on each, so an outage must show as a
 * quick 503 (api/dependencies.ts), while a slow but working Update must not be taken for one.
 * Each kind gets the deadline of what it waits for:
 * - a server that does not answer at all is caught by the retry policy below within ~1 s
 *   (connection refused comes back at once as UNAVAILABLE), before any deadline;
 * - `callMs` bounds one round trip that the server answers by itself (start, signal, describe)
 *   or with a worker's help (a query runs in the worker): a worker that cannot answer a query
 *   in 5 s is, for the reader, down;
 * - an Update is two waits (api/temporal-calls.ts): `updateAcceptMs` until the worker has
 *   accepted it (its validator ran and it is durable: the same as a query's reach, plus the
 *   worker picking up a task behind others), then `updateCompleteMs` for its handler, which
 *   may await activities. Past the first the worker is not serving (503); past the second the
 *   Update is running and will finish, so the client is told it was accepted (202), not that
 *   anything is down.
 */
export const apiTemporalDeadlines = { connectMs: 2_000, callMs: 5_000, updateAcceptMs: 10_000, updateCompleteMs: 30_000 };

/**
 * The API's client. Lazy: the API starts, and /healthz says so, while Temporal is down. gRPC
 * retries of UNAVAILABLE are kept (a server restarting answers again within a second) but
 * bounded to ~1 s instead of the SDK's ~20 s, and the channel re-dials at least every 2 s so
 * the API notices a server that is back. Every workflow call gets its deadline by interceptor,
 * so no route can forget one; Updates get theirs at the call (api/temporal-calls.ts).
 */
export function createApiClient(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Client {
  const connection = Connection.lazy({
    address: config.TEMPORAL_ADDRESS,
    connectTimeout: apiTemporalDeadlines.connectMs,
    // 4 attempts: waits of ~0.17, 0.29 and 0.49 s between them.
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 2_000 },
  });
  const within = <T>(ms: number, call: () => Promise<T>) => connection.withDeadline(Date.now() + ms, call);
  const { callMs } = apiTemporalDeadlines;
  const deadlines: WorkflowClientInterceptor = {
    start: (input, next) => within(callMs, () => next(input)),
    startWithDetails: (input, next) => within(callMs, () => next(input)),
    signal: (input, next) => within(callMs, () => next(input)),
    signalWithStart: (input, next) => within(callMs, () => next(input)),
    query: (input, next) => within(callMs, () => next(input)),
    describe: (input, next) => within(callMs, () => next(input)),
  };
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: { workflow: [deadlines] } });
}

/**
 * Whether a worker polls the task queue: until one does, the API answers queries and Updates with
 * 503 (they need a worker), so the stack and the end-to-end tests call themselves ready only then.
 */
export async function workerPolling(client: Client, config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
    // TASK_QUEUE_TYPE_WORKFLOW
    taskQueueType: 1,
  });
  return (pollers?.length ?? 0) > 0;
}
