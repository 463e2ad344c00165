import { writeSync } from 'node:fs';
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry } from '@temporalio/worker';
import { testLog } from '../helpers/logs';

/**
 * The SDK's log in tests: INFO is worker-state chatter, and the warnings are mostly the failures
 * tests cause on purpose ("Activity failed" with its stack trace), so warnings and errors go to
 * test-results/logs/sdk.log, kept for a failed test, not to the test output.
 *
 * One warning is dropped altogether. The official time-skipping test server does not advertise
 * the capability `activity_failure_include_heartbeat` (the dev server and production servers
 * do), so the SDK's core warns "Temporal Server 1.16.0 or newer is required ..." once for every
 * worker created against it: 25 identical lines a run that say nothing about golive.
 */
const testServerCapabilityWarning = 'Temporal Server 1.16.0 or newer is required to guarantee that the latest heartbeat details are preserved';
const file = testLog('sdk');
try {
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      if (entry.message.startsWith(testServerCapabilityWarning)) return;
      const meta = entry.meta ? JSON.stringify(entry.meta, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v)) : '';
      writeSync(file, `${new Date().toISOString()} ${entry.level} [${process.env.VITEST_POOL_ID ?? ''}] ${entry.message} ${meta}\n`);
    }),
    // The SDK's core (Rust) prints to the console unless its log is forwarded to the logger above.
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
} catch {
  // Already installed in this worker thread.
}
