import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
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
