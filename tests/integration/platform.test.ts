import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../domain/ids';
import { startStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
let lead: Record<string, string>;

beforeAll(async () => {
  stack = await startStack('platform');
  lead = await stack.as(['lead']);
  // The test e-mail goes only to people in the directory: these two mailboxes are (as viewers).
  await Promise.all([stack.as(['viewer'], 'lead'), stack.as(['viewer'], 'survivor')]);
});
afterAll(async () => {
  await stack?.stop();
});

async function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}${path}`, { method: 'POST', headers: { ...lead, ...headers }, body: JSON.stringify(body) });
}

describe('the platform, end to end on the real dev server', () => {
  it('reports Temporal, PostgreSQL and SMTP up', async () => {
    const res = await fetch(`${stack.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: Record<string, { up: boolean }> };
    expect(Object.fromEntries(Object.entries(body.services).map(([k, v]) => [k, v.up]))).toEqual({
      temporal: true,
      postgres: true,
      smtp: true,
    });
  });

  it('sends a real e-mail through API -> workflow -> worker -> SMTP, once per Idempotency-Key', async () => {
    const started = Date.now();
    const first = await postJson(
      '/v1/notifications/test',
      { to: 'lead@hospital.test', requestedBy: 'p-lead-01' },
      { 'idempotency-key': 'e2e-mail-1' },
    );
    expect(first.status).toBe(202);
    const again = await postJson(
      '/v1/notifications/test',
      { to: 'lead@hospital.test', requestedBy: 'p-lead-01' },
      { 'idempotency-key': 'e2e-mail-1' },
    );
    expect(again.status).toBe(202);
    const [mail] = await stack.smtp.waitFor((m) => m.some((x) => x.to.includes('lead@hospital.test')));
    expect(mail!.subject).toBe('[golive] Test notification');
    expect(mail!.text).toContain('Reference: test-notification:e2e-mail-1');
    // Who asked is the signed-in person, whatever the body claims.
    expect(mail!.text).toMatch(/Requested by: p-test-[0-9a-f]+/);
    // The e-mail can land a moment before the activity's completion reaches the workflow.
    await expect
      .poll(async () => (await fetch(`${stack.url}/v1/notifications/test/e2e-mail-1`, { headers: lead })).json(), { timeout: 10_000 })
      .toMatchObject({ state: 'sent', messageId: mail!.messageId });
    // Let a duplicate have its chance to arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.smtp.messages.filter((m) => m.to.includes('lead@hospital.test'))).toHaveLength(1);
    console.info(`e2e: POST to e-mail in the SMTP server: ${mail!.receivedAt - started} ms`);
  });

  it('finishes a workflow whose worker was killed with SIGKILL mid-way, after a new worker starts', async () => {
    const res = await postJson(
      '/v1/notifications/test',
      { to: 'survivor@hospital.test', delaySeconds: 3, requestedBy: 'p-lead-01' },
      { 'idempotency-key': 'e2e-kill-9' },
    );
    expect(res.status).toBe(202);
    const handle = stack.deps.temporal.workflow.getHandle(workflowIds.testNotification('e2e-kill-9'));
    // Wait until the worker has run the first workflow task (the timer is in the history).
    await expect
      .poll(async () => (await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes), {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(true);

    const victim = stack.worker;
    const exited = new Promise((r) => victim.once('exit', (_code, signal) => r(signal)));
    victim.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The timer fires while no worker runs; nothing is sent and nothing is lost.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(stack.smtp.messages.filter((m) => m.to.includes('survivor@hospital.test'))).toHaveLength(0);

    stack.restartWorker();
    const result = await handle.result();
    expect(result.state).toBe('sent');
    await stack.smtp.waitFor((m) => m.some((x) => x.to.includes('survivor@hospital.test')));
    expect(stack.smtp.messages.filter((m) => m.to.includes('survivor@hospital.test'))).toHaveLength(1);
  });

  it('refuses bad input with the field and the rule, and starts nothing', async () => {
    const res = await postJson('/v1/notifications/test', { to: 'not-an-address', delaySeconds: -5 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; rule: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['body.delaySeconds', 'body.to']);
  });
});
