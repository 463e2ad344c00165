import type { Server } from 'node:http';
import { inject } from 'vitest';
import { createApp } from '../../api/app';
import type { Deps } from '../../api/deps';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createMailer } from '../../platform/mailer';
import { freePort, portOpen, spawnTs, waitFor } from '../../tools/services';
import { createApiClient, workerPolling } from '../../platform/temporal';
import { testLog } from './logs';
import { freshDatabase, type TestDatabase } from './db';
import { startTestSmtp, type TestSmtp } from './smtp';
import { personWithToken } from './people';
import { uniqueTaskQueue } from './temporal';
import type { Role } from '../../domain/people';

export interface StackOptions {
  /** More environment for the worker process, e.g. the connection strings a plan's comparison domains name. */
  workerEnv?: Record<string, string>;
  /**
   * Links in e-mails point at this stack itself, http://localhost:<port> (browser tests follow
   * them), instead of http://golive.test. The port is then chosen before the API listens.
   */
  linksToSelf?: boolean;
  /** Configuration for the API and the worker beyond the test defaults (e.g. looser rate limits). */
  env?: Record<string, string>;
}

/**
 * The real thing for end-to-end tests: the dev server (started once per run), a fresh
 * database, a real SMTP server, the API in this process on port 0, and the worker as a
 * separate process exactly as production runs it (so it can be killed with SIGKILL).
 */
export async function startStack(name: string, options: StackOptions = {}) {
  const [db, smtp]: [TestDatabase, TestSmtp] = await Promise.all([freshDatabase(name), startTestSmtp()]);
  const port = options.linksToSelf ? await freePort() : 0;
  // Test files run side by side: each worker's metrics on a port of its own, not the default.
  const workerMetricsPort = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    // The runtime's role, as in production: the trail's guarantees hold only for it.
    DATABASE_URL: db.appUrl,
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(name),
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    PUBLIC_BASE_URL: options.linksToSelf ? `http://localhost:${port}` : 'http://golive.test',
    API_PORT: String(port),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    ...options.env,
  };
  const config: Config = loadConfig(env);
  // The API's own client (api/main.ts), with its deadlines: an end-to-end test meets them as production does.
  const temporal = createApiClient(config);
  const deps: Deps = { config, pool: db.appPool, temporal, mailer: createMailer(config), logger: createLogger('silent') };
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(port, '127.0.0.1', () => resolve(s));
  });
  const listening = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${listening}`;
  const workerEnv = { ...process.env, ...env, ...options.workerEnv };

  // Tests make activities fail on purpose; the worker's warnings (with their stack traces) go to
  // test-results/logs/<name>-worker.log, kept for a failed test, instead of the test output.
  const workerLog = testLog(`${name}-worker`);
  let worker = spawnTs('worker/main.ts', workerEnv, workerLog);
  // The API gives a worker 10 s to accept an Update and 5 s to answer a query (platform/temporal.ts);
  // a worker process still starting on a busy machine is no part of what the tests examine.
  await waitFor('the worker polling its task queue', () => workerPolling(temporal, config), 90_000, worker);
  return {
    url,
    /**
     * The same API as a browser must address it: the session cookie is Secure, and Chromium
     * accepts Secure cookies over plain http only from localhost.
     */
    browserUrl: `http://localhost:${listening}`,
    /** The worker's Prometheus metrics (the Temporal SDK runtime's exporter). */
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
    db,
    smtp,
    deps,
    /** A person with these roles (and this id, if given); returns the JSON + bearer headers to call as them. */
    async as(roles: Role[], personId?: string): Promise<Record<string, string>> {
      return (await this.person(roles, personId)).headers;
    },
    /** The same, with the person's id and token too (a browser test signs in with the token, and shows the name). */
    async person(
      roles: Role[],
      personId?: string,
      displayName?: string,
    ): Promise<{ personId: string; token: string; headers: Record<string, string> }> {
      const p = await personWithToken(db.pool, roles, personId, displayName);
      return { personId: p.personId, token: p.token, headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` } };
    },
    /** A call to `/v1/programs<path>` as the person behind `headers`: its status, headers and JSON body. */
    async programs(method: string, path: string, headers: Record<string, string>, body?: unknown) {
      const res = await fetch(`${url}/v1/programs${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    },
    get worker() {
      return worker;
    },
    /**
     * The API as a process of its own (api/main.ts, as production runs it), on the same database,
     * Temporal and task queue, with more environment if given: a test that kills the API mid-request
     * uses it. Its output goes to test-results/logs/<name>-api.log.
     */
    async spawnApi(extraEnv: Record<string, string> = {}) {
      const apiPort = await freePort();
      const child = spawnTs('api/main.ts', { ...workerEnv, API_PORT: String(apiPort), ...extraEnv }, testLog(`${name}-api`));
      await waitFor('the API process listening', () => portOpen(apiPort), 60_000, child);
      return { url: `http://127.0.0.1:${apiPort}`, process: child };
    },
    /** Starts a new worker process (after the previous one was killed). */
    restartWorker() {
      worker = spawnTs('worker/main.ts', workerEnv, workerLog);
      return worker;
    },
    async stop() {
      await worker.stopGracefully();
      server.close();
      server.closeAllConnections();
      await temporal.connection.close();
      deps.mailer.close();
      await Promise.all([db.close(), smtp.close()]);
    },
  };
}
export type TestStack = Awaited<ReturnType<typeof startStack>>;
