import type { Server } from 'node:http';
import { databaseUrl, loadConfig } from '../platform/config';
import { loadAuditKey, startAuditHousekeeping } from '../platform/audit-anchor';
import { apiPoolTimeouts, checkLeastPrivilege, createPool } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { createApiClient } from '../platform/temporal';
import { listenForReplies } from '../app/reply-checkoffs';
import { createApp } from './app';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'golive-api');
  const pool = createPool(databaseUrl(config), config.PG_POOL_MAX, apiPoolTimeouts);
  await checkLeastPrivilege(pool, config.NODE_ENV === 'production', logger);
  const auditKey = loadAuditKey(config);
  // Lazy: the API serves (503 naming Temporal, /healthz) while Temporal is still down.
  const temporal = createApiClient(config);
  const mailer = createMailer(config);
  const app = createApp({ config, pool, temporal, mailer, logger });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.API_PORT, config.API_HOST, () => resolve(s));
  });
  logger.info({ port: config.API_PORT }, 'api listening');
  // Check-off replies to runbook task e-mails (README: configuration), only where mail reaches golive.
  const replies =
    config.INBOUND_SMTP_PORT !== undefined && config.INBOUND_MAIL_DOMAIN
      ? await listenForReplies({
          pool,
          temporal,
          logger,
          domain: config.INBOUND_MAIL_DOMAIN,
          host: config.INBOUND_SMTP_HOST,
          port: config.INBOUND_SMTP_PORT,
        })
      : undefined;
  if (replies) logger.info({ port: replies.port }, 'inbound smtp listening for check-off replies');
  const housekeeping = startAuditHousekeeping({ pool, key: auditKey, everyMs: config.AUDIT_CHECKPOINT_SECONDS * 1000, logger });

  const stop = async () => {
    housekeeping.stop();
    server.close();
    server.closeIdleConnections();
    await replies?.close();
    // The last entries get their checkpoint before the pool goes.
    await housekeeping.tick();
    await temporal.connection.close();
    mailer.close();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
