import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { createMailer } from '../../platform/mailer';
import { testNotificationStatusQuery } from '../../domain/messages';
import { testNotificationWorkflow } from '../../workflows';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtp;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase(), startTestSmtp()]);
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  activities = createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test' });
});
afterAll(async () => {
  await Promise.all([env?.teardown(), db?.close(), smtp?.close()]);
});

describe('testNotificationWorkflow', () => {
  it('sleeps 14 simulated days in seconds, then sends exactly one e-mail', async () => {
    const taskQueue = uniqueTaskQueue('notify');
    const worker = await testWorker(env, taskQueue, activities);
    const wallStart = Date.now();
    const simStart = await env.currentTimeMs();
    const result = await worker.runUntil(
      env.client.workflow.execute(testNotificationWorkflow, {
        workflowId: `wf-14d-${taskQueue}`,
        taskQueue,
        args: [{ to: 'oncall@hospital.test', delaySeconds: 14 * 86_400, requestedBy: 'lead-01' }],
      }),
    );
    const simulatedMs = (await env.currentTimeMs()) - simStart;
    expect(result.state).toBe('sent');
    expect(simulatedMs).toBeGreaterThanOrEqual(14 * 86_400_000);
    expect(Date.now() - wallStart).toBeLessThan(30_000);
    const mails = smtp.messages.filter((m) => m.to.includes('oncall@hospital.test'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('[golive] Test notification');
    expect(mails[0]!.messageId).toBe(result.messageId);
  });

  it('answers its status query while it waits', async () => {
    const taskQueue = uniqueTaskQueue('notify-query');
    const worker = await testWorker(env, taskQueue, activities);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(testNotificationWorkflow, {
        workflowId: `wf-query-${taskQueue}`,
        taskQueue,
        args: [{ to: 'waiting@hospital.test', delaySeconds: 3600, requestedBy: 'lead-01' }],
      });
      expect((await handle.query(testNotificationStatusQuery)).state).toBe('waiting');
      await handle.result();
      expect((await handle.query(testNotificationStatusQuery)).state).toBe('sent');
    });
  });
});

describe('sendEmail activity', () => {
  it('sends once per idempotency key, however often it is retried', async () => {
    const input = {
      idempotencyKey: 'wf-x/run-y/mail',
      to: 'once@hospital.test',
      message: { template: 'test' as const, requestedBy: 'a', reference: 'r' },
    };
    const first = await activities.sendEmail(input);
    const second = await activities.sendEmail(input);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ ...first, duplicate: true });
    await smtp.waitFor((m) => m.some((x) => x.to.includes('once@hospital.test')));
    expect(smtp.messages.filter((m) => m.to.includes('once@hospital.test'))).toHaveLength(1);
  });

  it('two attempts at the same key at the same moment (one timed out on the server, still sending): one sends, the other is told to retry and then finds it sent', async () => {
    const input = {
      idempotencyKey: 'wf-race/run/mail',
      to: 'race@hospital.test',
      message: { template: 'test' as const, requestedBy: 'a', reference: 'r' },
    };
    smtp.slow(500);
    let results: PromiseSettledResult<Awaited<ReturnType<typeof activities.sendEmail>>>[];
    try {
      results = await Promise.allSettled([activities.sendEmail(input), activities.sendEmail(input)]);
    } finally {
      smtp.slow(0);
    }
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ type: 'MailInFlight', nonRetryable: false });
    expect((await activities.sendEmail(input)).duplicate).toBe(true);
    expect(smtp.messages.filter((m) => m.to.includes('race@hospital.test'))).toHaveLength(1);
  });

  it('retries through an SMTP outage and delivers once it is back', async () => {
    const input = {
      idempotencyKey: 'wf-down/run/mail',
      to: 'retry@hospital.test',
      message: { template: 'test' as const, requestedBy: 'a', reference: 'r' },
    };
    smtp.down(true);
    await expect(activities.sendEmail(input)).rejects.toMatchObject({ responseCode: 421 });
    smtp.down(false);
    const sent = await activities.sendEmail(input);
    expect(sent.duplicate).toBe(false);
    expect(smtp.messages.filter((m) => m.to.includes('retry@hospital.test'))).toHaveLength(1);
    const row = await db.pool.query('SELECT status, attempts FROM email_outbox WHERE idempotency_key = $1', [input.idempotencyKey]);
    expect(row.rows[0]).toEqual({ status: 'sent', attempts: 1 });
  });
});
