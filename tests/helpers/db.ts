import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { inject } from 'vitest';
import { createPool, migrate } from '../../platform/db';
import { ensureDatabase } from '../../platform/services';

export interface TestDatabase {
  url: string;
  pool: Pool;
  close(): Promise<void>;
}

/** A fresh, migrated database on this run's cluster: tests never see each other's rows. */
export async function freshDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = inject('pgAdminUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(admin, name);
  const url = admin.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  await migrate(url);
  const pool = createPool(url, 5);
  return { url, pool, close: () => pool.end() };
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
