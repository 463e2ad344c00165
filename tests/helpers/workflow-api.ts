import { createActivities } from '../../activities';
import type { AnyRoute } from '../../api/route';
import { loadConfig } from '../../platform/config';
import { createMailer } from '../../platform/mailer';
import { startTestApi, testDeps } from './api';
import { freshDatabase } from './db';
import { startTestSmtp } from './smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from './temporal';

/**
 * The API's routes in this process over a time-skipping server, a fresh database and a real SMTP
 * server, with a worker of the real activities on demand: what a test of a route that starts or
 * updates workflows needs. `close` stops them all.
 */
export async function workflowApiBed(name: string, routes: AnyRoute[]) {
  const taskQueue = uniqueTaskQueue(name);
  const [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase(name.replace(/[^a-z0-9]/g, '')), startTestSmtp()]);
  const publicBaseUrl = 'http://golive.test';
  const api = await startTestApi(
    testDeps(db.pool, { temporal: env.client, config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_BASE_URL: publicBaseUrl }) }),
    routes,
  );
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  return {
    env,
    db,
    smtp,
    api,
    taskQueue,
    /** A worker of the real activities on the API's task queue (run it with runUntil). */
    worker: () => testWorker(env, taskQueue, createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl })),
    async close() {
      await api.close();
      mailer.close();
      await Promise.all([env.teardown(), db.close(), smtp.close()]);
    },
  };
}
export type WorkflowApiBed = Awaited<ReturnType<typeof workflowApiBed>>;
