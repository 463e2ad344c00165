import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Activities } from '../../activities';

/**
 * A time-skipping environment on the run's shared test server. The SDK's public factory
 * would start a server per call; its internal `create` connects to an existing one with
 * the time-skipping client, which is what "servers once per run" needs.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as { create(o: object): Promise<TestWorkflowEnvironment> }).create;
  return create.call(TestWorkflowEnvironment, {
    server: { type: 'existing' },
    address: inject('timeSkippingAddress'),
    namespace: 'default',
    supportsTimeSkipping: true,
  });
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
