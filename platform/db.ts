import { join } from 'node:path';
import { Pool } from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';
import { projectRoot } from './config';

export const migrationsDir = join(projectRoot, 'migrations');

export interface PoolTimeouts {
  /** Connecting, and waiting for a free connection of the pool. */
  connectMs: number;
  /** Server side: PostgreSQL cancels a statement running longer (SQLSTATE 57014). */
  statementMs?: number;
  /** Client side: a server that stops answering on an open connection (stopped, not closed). */
  queryMs?: number;
}

/**
 * The API's pool answers a person waiting at a page: a PostgreSQL that cannot connect within
 * 2 s is down or overloaded for them (503 with Retry-After, api/dependencies.ts). Its queries
 * are indexed lookups and page-sized reads (the audit verification too reads 1,000 rows a
 * statement): 15 s is ample for any of them and still bounds a hung server; the
 * client-side limit is a little longer so that PostgreSQL's own cancel (which leaves the
 * connection usable) normally comes first.
 */
export const apiPoolTimeouts: PoolTimeouts = { connectMs: 2_000, statementMs: 15_000, queryMs: 17_000 };

/**
 * Other processes (worker, scripts) run long comparison and migration statements, so only
 * connecting is bounded: an activity that cannot connect fails and is retried with backoff.
 */
export const defaultPoolTimeouts: PoolTimeouts = { connectMs: 5_000 };

export function createPool(connectionString: string, max = 10, timeouts: PoolTimeouts = defaultPoolTimeouts): Pool {
  const pool = new Pool({
    connectionString,
    max,
    application_name: 'golive',
    connectionTimeoutMillis: timeouts.connectMs,
    ...(timeouts.statementMs ? { statement_timeout: timeouts.statementMs } : {}),
    ...(timeouts.queryMs ? { query_timeout: timeouts.queryMs } : {}),
  });
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
