import { join } from 'node:path';
import { Pool } from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';
import { projectRoot } from './config';

export const migrationsDir = join(projectRoot, 'migrations');

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max, application_name: 'golive' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Applies pending migrations. Safe to call from several processes: node-pg-migrate takes an advisory lock. */
export async function migrate(databaseUrl: string, logger?: Pick<Logger, 'info'>): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    checkOrder: true,
    log: () => undefined,
  });
  const names = applied.map((m) => m.name);
  if (names.length) logger?.info({ migrations: names }, 'migrations applied');
  return names;
}
