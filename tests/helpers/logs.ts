import { mkdirSync, openSync, writeSync } from 'node:fs';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { join } from 'node:path';
import { projectRoot } from '../../platform/config';

/** test-results/logs/, beside the other artefacts of a run (git-ignored). */
export const testLogsDir = join(projectRoot, 'test-results', 'logs');

/** An open file under test-results/logs/ (appended to), for a process's output that a test does not read. */
export function testLog(name: string): number {
  mkdirSync(testLogsDir, { recursive: true });
  return openSync(join(testLogsDir, `${name.replace(/[^\w.-]+/g, '_')}.log`), 'a');
}

const testServerCapabilityWarning =
  'Temporal Server 1.16.0 or newer is required to guarantee that the latest heartbeat details are preserved';

/**
 * The SDK's logger in tests (the runtime's, tests/setup/quiet-sdk.ts, and MockActivityEnvironment's):
 * warnings and errors to test-results/logs/sdk.log, one warning dropped (see quiet-sdk.ts).
 */
let sdkLog: number | undefined;
export function sdkTestLogger(): DefaultLogger {
  const file = (sdkLog ??= testLog('sdk'));
  return new DefaultLogger('WARN', (entry: LogEntry) => {
    if (entry.message.startsWith(testServerCapabilityWarning)) return;
    const meta = entry.meta
      ? JSON.stringify(entry.meta, (_k, v: unknown) =>
          v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v,
        )
      : '';
    writeSync(file, `${new Date().toISOString()} ${entry.level} ${entry.message} ${meta}\n`);
  });
}
