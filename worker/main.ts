import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createActivities } from '../activities';
import { databaseUrl, loadConfig } from '../platform/config';
import { checkLeastPrivilege, createPool } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { createWorker } from './worker';

// The SDK's own logger speaks fewer levels than pino. Its INFO is worker-state chatter, so
// our "info" shows the SDK's warnings and above.
const sdkLevel: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'WARN',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'golive-worker');
  Runtime.install({
    logger: new DefaultLogger(sdkLevel[config.LOG_LEVEL]),
    // The SDK core's own Prometheus exporter (task latencies, sticky cache, pollers): nothing of
    // ours to keep in step with the SDK, and its labels hold task queues and workflow types, no ids.
    ...(config.WORKER_METRICS_ADDRESS === 'off'
      ? {}
      : { telemetryOptions: { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } } } }),
  });
  const pool = createPool(databaseUrl(config), config.PG_POOL_MAX);
  await checkLeastPrivilege(pool, config.NODE_ENV === 'production', logger);
  const mailer = createMailer(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  // Plans name the environment variables that hold hospital-system secrets (adapters, comparison sources).
  const activities = createActivities({
    pool,
    mailer,
    mailFrom: config.MAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    inboundMailDomain: config.INBOUND_MAIL_DOMAIN,
    secrets: process.env,
  });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    workflowBundle: config.WORKFLOW_BUNDLE_PATH ? { codePath: config.WORKFLOW_BUNDLE_PATH } : undefined,
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, metrics: config.WORKER_METRICS_ADDRESS }, 'worker running');
  // The SDK handles SIGINT/SIGTERM: it stops polling, lets running activities finish within
  // shutdownGraceTime, and then run() resolves.
  await worker.run();
  await connection.close();
  mailer.close();
  await pool.end();
  logger.info('worker stopped');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
