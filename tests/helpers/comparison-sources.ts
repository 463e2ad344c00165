import { freshDatabase, type TestDatabase } from './db';

/**
 * Two small "systems" for a parallel run's nightly comparison, as tables of a database of their
 * own: charges agree, orders differ in one row of four (a warning, not critical). The worker
 * reaches them by the environment variables `<env>_LEGACY_DB_URL` and `<env>_NEW_DB_URL`.
 */
export async function comparisonSources(name: string): Promise<TestDatabase> {
  const sources = await freshDatabase(name);
  await sources.pool.query(`
    CREATE TABLE legacy_charges (id text PRIMARY KEY, amount numeric);
    CREATE TABLE new_charges (id text PRIMARY KEY, amount numeric);
    INSERT INTO legacy_charges VALUES ('c1', 10.00), ('c2', 20.00), ('c3', 30.00);
    INSERT INTO new_charges VALUES ('c1', 10.00), ('c2', 20.00), ('c3', 30.00);
    CREATE TABLE legacy_orders (id text PRIMARY KEY, amount numeric);
    CREATE TABLE new_orders (id text PRIMARY KEY, amount numeric);
    INSERT INTO legacy_orders VALUES ('o1', 1), ('o2', 2), ('o3', 3), ('o4', 4);
    INSERT INTO new_orders VALUES ('o1', 1), ('o2', 2), ('o3', 3.5), ('o4', 4);
  `);
  return sources;
}

/** The worker's environment naming the sources. */
export const sourcesEnv = (env: string, sources: TestDatabase) => ({
  [`${env}_LEGACY_DB_URL`]: sources.url,
  [`${env}_NEW_DB_URL`]: sources.url,
});

/** A plan's comparison domain over those tables (`charges` or `orders`). */
export const comparisonDomain = (env: string, name: 'charges' | 'orders') => ({
  name,
  spec: { name, key: [{ name: 'id' }], fields: [{ name: 'amount', type: 'numeric' as const }] },
  legacy: { kind: 'postgres' as const, connection: { urlEnv: `${env}_LEGACY_DB_URL` }, query: `SELECT id, amount FROM legacy_${name}` },
  new: { kind: 'postgres' as const, connection: { urlEnv: `${env}_NEW_DB_URL` }, query: `SELECT id, amount FROM new_${name}` },
  // orders differ in one row of four: a warning, not critical.
  thresholds: { warning: { count: 0 }, critical: { rate: 0.5 } },
});

/** Demo timing: a "night" every 5 s from the pilot's go-live, and no settle delay before the recheck. */
export const quickParallelRun = (env: string) => ({
  minimumDuration: 'PT10M',
  comparisonEvery: 'PT5S',
  settle: 'PT0S',
  domains: [comparisonDomain(env, 'charges'), comparisonDomain(env, 'orders')],
});
