/** Applies pending migrations to DATABASE_URL (or the embedded default) and exits. */
import { databaseUrl, loadConfig } from '../platform/config';
import { migrate } from '../platform/db';
import { createLogger } from '../platform/logger';

const config = loadConfig();
migrate(databaseUrl(config), createLogger(config.LOG_LEVEL, 'golive-migrate')).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
