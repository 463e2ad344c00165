import { join } from 'node:path';
import { Client, Pool } from 'pg';
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

/** The user and password of a postgres:// URL, and the URL with others put in their place. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/**
 * Makes sure the runtime's login role exists, can log in with this password, and holds the
 * privileges of golive_runtime (granted by migration 1700000000900) and nothing more: it is
 * neither superuser nor the tables' owner. Run as the owner, after `migrate`. Returns the
 * runtime's URL: the owner's with the runtime's credentials.
 */
export async function ensureRuntimeRole(
  ownerUrl: string,
  runtime: { user: string; password: string; resetPassword?: boolean },
): Promise<string> {
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(runtime.user);
    const password = client.escapeLiteral(runtime.password);
    // Test files share one cluster: a concurrent CREATE or GRANT of the same role may collide once.
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await client.query<{ rolsuper: boolean; member: boolean }>(
          `SELECT rolsuper, pg_has_role(oid, 'golive_runtime', 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`,
          [runtime.user],
        );
        const row = found.rows[0];
        if (row?.rolsuper) throw new Error(`the runtime role ${runtime.user} is a superuser; give the API and worker a role of their own`);
        if (!row)
          await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT PASSWORD ${password}`);
        else if (runtime.resetPassword) await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${password}`);
        if (!row?.member) await client.query(`GRANT golive_runtime TO ${role}`);
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || !(code === '42710' || code === '23505' || code === 'XX000')) throw err;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
  } finally {
    await client.end();
  }
  return withCredentials(ownerUrl, runtime.user, runtime.password);
}

/**
 * Migrations as the owner, then the runtime role of DATABASE_URL, when it differs from the
 * owner's: one step for `npm run migrate` and docker-compose's migrate service.
 */
export async function prepareDatabase(ownerUrl: string, runtimeUrl: string, logger?: Pick<Logger, 'info'>): Promise<void> {
  await migrate(ownerUrl, logger);
  const owner = new URL(ownerUrl);
  const runtime = new URL(runtimeUrl);
  if (runtime.username && runtime.username !== owner.username) {
    await ensureRuntimeRole(ownerUrl, {
      user: decodeURIComponent(runtime.username),
      password: decodeURIComponent(runtime.password),
      resetPassword: true,
    });
  }
}

/**
 * What is wrong with the role this pool connects as: a superuser or the audit table's owner
 * could switch the trail's triggers off and rewrite it. The API and worker refuse to start in
 * production when this names anything, and warn elsewhere.
 */
export async function privilegeProblems(pool: Pool): Promise<string[]> {
  const res = await pool.query<{ superuser: boolean; owner: boolean }>(
    `SELECT r.rolsuper AS superuser, pg_has_role(current_user, c.relowner, 'USAGE') AS owner
       FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'audit_log'::regclass`,
  );
  const row = res.rows[0];
  const problems: string[] = [];
  if (row?.superuser) problems.push('connected as a superuser');
  if (row?.owner) problems.push("connected as the audit table's owner");
  return problems;
}

/** Refuses (production) or warns (elsewhere) when this process's role could rewrite the trail. A database not up yet is not judged. */
export async function checkLeastPrivilege(pool: Pool, production: boolean, logger: Pick<Logger, 'warn'>): Promise<void> {
  const problems = await privilegeProblems(pool).catch(() => []);
  if (!problems.length) return;
  const message = `DATABASE_URL: ${problems.join(' and ')}; the audit trail's append-only rule does not bind this role`;
  if (production) throw new Error(message);
  logger.warn({ problems }, message);
}
