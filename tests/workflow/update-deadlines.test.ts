import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { unavailableDependency } from '../../api/dependencies';
import type { RequestContext } from '../../api/route';
import { runUpdate, updateReply } from '../../api/temporal-calls';
import { recordEvidenceUpdate } from '../../domain/rollout';
import { createMailer } from '../../platform/mailer';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { lead, programDriver, programTestActivities } from '../helpers/program';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

// The API's two waits for an Update (api/temporal-calls.ts), on a real (time-skipping) server
// with a real worker whose audit activity can be made slow: accepted but slow is a 202, never
// accepted is an outage of Temporal's side (503), and a retried request lands on the same Update.
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtp;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('update-deadlines');
const slow = { ms: 0 };

beforeAll(async () => {
  [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase('upd'), startTestSmtp()]);
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  const real = programTestActivities(
    createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test' }),
  ).activities;
  worker = await testWorker(env, taskQueue, {
    ...real,
    async recordAudit(input) {
      if (slow.ms) await new Promise((r) => setTimeout(r, slow.ms));
      return real.recordAudit(input);
    },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await Promise.all([env?.teardown(), db?.close(), smtp?.close()]);
});

/** What runUpdate reads of a request: its Idempotency-Key, method, path and person. */
const request = (key?: string) =>
  ({
    req: {
      header: (name: string) => (name.toLowerCase() === 'idempotency-key' ? key : undefined),
      method: 'POST',
      path: '/v1/programs/p/evidence',
    },
    principal: { personId: 'p-lead-01', displayName: 'Lead', email: 'p-lead-01@hospital.test', roles: ['lead'] },
  }) as unknown as Pick<RequestContext, 'req' | 'principal'>;
const evidence = { actor: lead, evidence: { migration: { verified: true } } };
const auditedEvidence = async (programId: string) =>
  Number(
    (
      await db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_log WHERE action = 'evidence.recorded' AND target->>'programId' = $1`,
        [programId],
      )
    ).rows[0]!.n,
  );

describe('Updates from the API', () => {
  it('answers 202 for an Update the worker accepted but has not finished, which then finishes', async () => {
    const handle = await programDriver(env, taskQueue).start();
    slow.ms = 3_000;
    try {
      const started = performance.now();
      const outcome = await runUpdate(request(), handle, recordEvidenceUpdate, evidence, { updateAcceptMs: 10_000, updateCompleteMs: 500 });
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(outcome.done).toBe(false);
      const reply = updateReply(outcome);
      expect(reply).toMatchObject({ status: 202, body: { status: 'accepted' } });
      const updateId = (reply.body as { updateId: string }).updateId;
      // Accepted means durable: it completes by itself.
      expect(await handle.getUpdateHandle(updateId, recordEvidenceUpdate).result()).toHaveProperty('criteria');
    } finally {
      slow.ms = 0;
    }
  });

  it('answers 200 with the result when the Update finishes in time', async () => {
    const handle = await programDriver(env, taskQueue).start();
    const outcome = await runUpdate(request(), handle, recordEvidenceUpdate, evidence);
    expect(updateReply(outcome)).toMatchObject({ status: 200, body: { criteria: expect.any(Array) } });
  });

  it('takes an Update that no worker accepts in time for Temporal unavailable (503)', async () => {
    // A workflow on a task queue no worker polls: the server admits the Update, nobody accepts it.
    const handle = await programDriver(env, uniqueTaskQueue('no-worker')).start();
    const started = performance.now();
    const err = await runUpdate(request(), handle, recordEvidenceUpdate, evidence, {
      updateAcceptMs: 1_000,
      updateCompleteMs: 30_000,
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(unavailableDependency(err)).toBe('temporal');
    await handle.terminate('test over');
  });

  it('runs a retried request (same Idempotency-Key) as the same Update, once', async () => {
    const handle = await programDriver(env, taskQueue).start();
    const programId = handle.workflowId.replace(/^program:/, '');
    const first = await runUpdate(request('retry-1'), handle, recordEvidenceUpdate, evidence);
    const again = await runUpdate(request('retry-1'), handle, recordEvidenceUpdate, evidence);
    expect(again).toEqual(first);
    expect(await auditedEvidence(programId)).toBe(1);
    // Another key is another request.
    await runUpdate(request('retry-2'), handle, recordEvidenceUpdate, evidence);
    expect(await auditedEvidence(programId)).toBe(2);
  });
});
