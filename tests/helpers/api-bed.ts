import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { AnyRoute } from '../../api/route';
import { loadConfig } from '../../platform/config';
import { createMailer } from '../../platform/mailer';
import { startTestApi, testDeps, type TestApi } from './api';
import { freshDatabase, type TestDatabase } from './db';
import { startTestSmtp, type TestSmtp } from './smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from './temporal';

/**
 * Routes under test against real services: a time-skipping server, a fresh database, an SMTP
 * server, and the API with those routes; `worker()` runs the real activities on the routes' task
 * queue (started per test, so a test without one leaves nothing polling).
 */
export async function apiTestBed(name: string, routes: AnyRoute[]) {
  const taskQueue = uniqueTaskQueue(name);
  const [env, db, smtp]: [TestWorkflowEnvironment, TestDatabase, TestSmtp] = await Promise.all([
    timeSkippingEnv(),
    freshDatabase(name.replace(/[^a-z]/g, '').slice(0, 12)),
    startTestSmtp(),
  ]);
  const api: TestApi = await startTestApi(
    testDeps(db.pool, {
      temporal: env.client,
      config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_BASE_URL: 'http://golive.test' }),
    }),
    routes,
  );
  return {
    env,
    db,
    smtp,
    api,
    taskQueue,
    call: (...args: Parameters<TestApi['call']>) => api.call(...args),
    worker: () =>
      testWorker(
        env,
        taskQueue,
        createActivities({
          pool: db.pool,
          mailer: createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false }),
          mailFrom: 'golive@test',
          publicBaseUrl: 'http://golive.test',
        }),
      ),
    async close() {
      await api.close();
      await Promise.all([env.teardown(), db.close(), smtp.close()]);
    },
  };
}
