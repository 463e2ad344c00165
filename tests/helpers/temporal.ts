import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Activities } from '../../activities';
import { indexedValueType, searchAttributeKeys } from '../../domain/search-attributes';
import { temporalTestServerPath } from '../../tools/services';

/**
 * A time-skipping test server of this test file's own. Time skipping is global to a server:
 * a workflow another file left waiting would hold or jump this file's clock, so each file gets
 * its own clock (one server per file, shared by its tests; about a second to start).
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  // The workflows set golive's search attributes; this server knows only those registered here.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, indexedValueType[k.type]])),
  });
  return env;
}

export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('devServerAddress') });
}

let queueCounter = 0;
/** A task queue of its own per test, so workers of different tests never steal each other's tasks. */
export const uniqueTaskQueue = (name: string) => `test-${name}-${process.pid}-${++queueCounter}-${Date.now().toString(36)}`;

export function testWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: Partial<Activities>): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}

/**
 * A time-based suffix for program ids made by tests: letters only, since a run of five digits
 * (which base 36 time sometimes gives) is refused as looking like a record number.
 */
export const uniqueSuffix = () =>
  Date.now()
    .toString(36)
    .replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!);

/** RECORD_HISTORIES=1 refreshes the histories that tests/workflow/replay.test.ts replays against today's code. */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  writeFileSync(
    join(__dirname, '..', 'workflow', 'histories', `${name}.history.bin`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
}

/**
 * Moves a time-skipping server's clock by `ms` and returns once the clock got there: the sleep's
 * own answer sometimes never comes once a timer it crossed started activities (the clock has
 * moved all the same), which left a whole test file waiting out its timeouts in CI.
 */
export async function skipTime(env: TestWorkflowEnvironment, ms: number): Promise<void> {
  const target = (await env.currentTimeMs()) + ms;
  const slept = env.sleep(ms).then(
    () => true,
    () => true,
  );
  while (!(await Promise.race([slept, new Promise<boolean>((r) => setTimeout(() => r(false), 100))])))
    if ((await env.currentTimeMs()) >= target) return;
}
