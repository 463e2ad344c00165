import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

/**
 * Worker state changes at INFO drown test output; warnings and errors still show, except one.
 * The official time-skipping test server does not advertise the capability
 * `activity_failure_include_heartbeat` (the dev server and production servers do), so the SDK's
 * core warns "Temporal Server 1.16.0 or newer is required ..." once for every worker created
 * against it: 25 identical lines a run that say nothing about golive. That warning alone, and only
 * for that reason, is dropped here; every other warning reaches the output.
 */
const testServerCapabilityWarning = 'Temporal Server 1.16.0 or newer is required to guarantee that the latest heartbeat details are preserved';
const printer = new DefaultLogger('WARN');
try {
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      if (entry.message.startsWith(testServerCapabilityWarning)) return;
      printer.log(entry.level, entry.message, entry.meta);
    }),
  });
} catch {
  // Already installed in this worker thread.
}
