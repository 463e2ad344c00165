/**
 * Applies pending migrations as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL or the
 * embedded default), makes sure DATABASE_URL's runtime role exists with only its privileges, and exits.
 */
import { databaseUrl, loadConfig, ownerDatabaseUrl } from '../platform/config';
import { prepareDatabase } from '../platform/db';
import { createLogger } from '../platform/logger';

const config = loadConfig();
prepareDatabase(ownerDatabaseUrl(config), databaseUrl(config), createLogger(config.LOG_LEVEL, 'golive-migrate')).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
