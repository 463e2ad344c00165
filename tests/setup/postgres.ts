import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedPostgres } from '../../tools/services';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of a PostgreSQL cluster for this run; tests create databases on it. */
    pgAdminUrl: string;
  }
}

/** TEST_DATABASE_URL (a superuser URL) where given, else an embedded cluster for this run. */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'golive-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(), persistent: false });
  project.provide('pgAdminUrl', pg.adminUrl);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
