import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../platform/config';
import type { TestDatabase } from './db';

const run = promisify(execFile);

/** The admin command line as a person at a terminal runs it, against a test database; never throws. */
export const adminCli =
  (db: () => TestDatabase, auditKeyHex: string) =>
  async (args: string[], env: Record<string, string> = {}) => {
    try {
      const r = await run(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/admin.ts'), ...args], {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_URL: db().appUrl, MIGRATION_DATABASE_URL: db().url, AUDIT_HMAC_KEY: auditKeyHex, ...env },
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
