import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../platform/config';

/** test-results/logs/, beside the other artefacts of a run (git-ignored). */
export const testLogsDir = join(projectRoot, 'test-results', 'logs');

/** An open file under test-results/logs/ (appended to), for a process's output that a test does not read. */
export function testLog(name: string): number {
  mkdirSync(testLogsDir, { recursive: true });
  return openSync(join(testLogsDir, `${name.replace(/[^\w.-]+/g, '_')}.log`), 'a');
}
