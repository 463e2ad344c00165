import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { createApp } from '../../api/app';
import type { Deps } from '../../api/deps';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createMailer } from '../../platform/mailer';
import { spawnTs } from '../../platform/services';
import { freshDatabase, type TestDatabase } from './db';
import { startTestSmtp, type TestSmtp } from './smtp';
import { personWithToken } from './people';
import { uniqueTaskQueue } from './temporal';
import type { Role } from '../../domain/people';

/**
 * The real thing for end-to-end tests: the dev server (started once per run), a fresh
 * database, a real SMTP server, the API in this process on port 0, and the worker as a
 * separate process exactly as production runs it (so it can be killed with SIGKILL).
 */
export async function startStack(name: string) {
  const [db, smtp]: [TestDatabase, TestSmtp] = await Promise.all([freshDatabase(name), startTestSmtp()]);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('devServerAddress'),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(name),
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    PUBLIC_BASE_URL: 'http://golive.test',
    API_PORT: '0',
  };
  const config: Config = loadConfig(env);
  const temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });
  const deps: Deps = { config, pool: db.pool, temporal, mailer: createMailer(config), logger: createLogger('silent') };
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  let worker = spawnTs('worker/main.ts', { ...process.env, ...env }, 'inherit');
  return {
    url,
    db,
    smtp,
    deps,
    /** A person with these roles (and this id, if given); returns the JSON + bearer headers to call as them. */
    async as(roles: Role[], personId?: string): Promise<Record<string, string>> {
      const { token } = await personWithToken(db.pool, roles, personId);
      return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    },
    get worker() {
      return worker;
    },
    /** Starts a new worker process (after the previous one was killed). */
    restartWorker() {
      worker = spawnTs('worker/main.ts', { ...process.env, ...env }, 'inherit');
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
