/**
 * The two systems' databases of the comparison engine's tests, fresh for each test file that asks
 * for them. The run's results live next to the legacy rows (all migrations are applied to both).
 */
import { afterAll, beforeAll } from 'vitest';
import { freshDatabase, type TestDatabase } from './db';

export let legacy: TestDatabase;
export let next: TestDatabase;
export let results: TestDatabase;

export const WINDOW = { from: '2024-03-01T00:00:00+08:00', to: '2024-03-02T00:00:00+08:00' };

/** Creates `<prefix>_legacy` and `<prefix>_new` before the calling file's tests and closes them after. */
export function useCompareDatabases(prefix: string): void {
  beforeAll(async () => {
    legacy = await freshDatabase(`${prefix}_legacy`);
    next = await freshDatabase(`${prefix}_new`);
    results = legacy;
  }, 60_000);

  afterAll(async () => {
    for (const d of [legacy, next]) await d?.close();
  });
}
