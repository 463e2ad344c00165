import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

export const workflowsPath = join(__dirname, '..', 'workflows', 'index.ts');

/**
 * What bounds the worker's memory: the workflows it keeps in its sticky cache, each one's state
 * in memory so a task (or a query) needs no replay. The SDK's default grows with the heap limit
 * (hundreds to thousands of workflows on a machine with a few GB), and over a long go-live with
 * its incidents, rollbacks and comparisons the cache, not the load, set the worker's size. A
 * hospital's go-live has one program, a few dozen department, rollback and incident workflows
 * open at a time: 200 keeps all of them hot with room, and past it the least recently used is
 * evicted and replays from its history at its next task (a few milliseconds for ours). Queries
 * from the API no longer add to this: the API shares and reuses them (app/live-reads.ts).
 */
export const maxCachedWorkflows = 200;

export interface WorkerParams {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (tests build it once per run); else the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createWorker({ connection, namespace, taskQueue, activities, workflowBundle }: WorkerParams): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    // Activities finish what they started (an e-mail half-sent is worse than a slower stop).
    shutdownGraceTime: '10s',
    maxCachedWorkflows,
  });
}
