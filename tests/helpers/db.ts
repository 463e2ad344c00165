import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { inject } from 'vitest';
import { createPool, ensureRuntimeRole, migrate } from '../../platform/db';
import { ensureDatabase } from '../../tools/services';

export interface TestDatabase {
  /** The owner's (the run's superuser): what migrations use, and tests that tamper. */
  url: string;
  pool: Pool;
  /** The runtime's role, as the API and worker connect in production: not superuser, not owner. */
  appUrl: string;
  appPool: Pool;
  close(): Promise<void>;
}

/** One runtime role for the whole test cluster (roles are cluster-wide); a fixed password is fine there. */
export const testRuntimeRole = { user: 'golive_test_app', password: 'golive_test_app' };

/** A fresh, migrated database on this run's cluster: tests never see each other's rows. */
export async function freshDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = inject('pgAdminUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(admin, name);
  const url = admin.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  await migrate(url);
  const appUrl = await ensureRuntimeRole(url, testRuntimeRole);
  const pool = createPool(url, 5);
  const appPool = createPool(appUrl, 5);
  return { url, pool, appUrl, appPool, close: () => Promise.all([pool.end(), appPool.end()]).then(() => undefined) };
}

/** One statement on its own connection (a database other than a test's pool, e.g. a comparison's source). */
export async function sqlAt(url: string, text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}
