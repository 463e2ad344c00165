import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { sdkTestLogger } from '../helpers/logs';

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
try {
  Runtime.install({
    logger: sdkTestLogger(),
    // The SDK's core (Rust) prints to the console unless its log is forwarded to the logger above.
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
} catch {
  // Already installed in this worker thread.
}
