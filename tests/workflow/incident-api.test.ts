import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { incidentRoutes } from '../../api/routes/incidents';
import { incidentStatusQuery } from '../../domain/escalation';
import { workflowIds } from '../../domain/ids';
import { loadConfig } from '../../platform/config';
import { createMailer } from '../../platform/mailer';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtp;
let api: TestApi;
const taskQueue = uniqueTaskQueue('incident-api');

beforeAll(async () => {
  [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase('incapi'), startTestSmtp()]);
  api = await startTestApi(
    testDeps(db.pool, {
      temporal: env.client,
      config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_BASE_URL: 'http://golive.test' }),
    }),
    incidentRoutes,
  );
});
afterAll(async () => {
  await api?.close();
  await Promise.all([env?.teardown(), db?.close(), smtp?.close()]);
});

const call = (...args: Parameters<TestApi['call']>) => api.call(...args);

describe('incidents API', () => {
  it('raise, deduplicate, acknowledge through the e-mail link, resolve with a note kept out of the workflow', async () => {
    const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
    // The real activities: addresses come from the people table.
    const worker = await testWorker(
      env,
      taskQueue,
      createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test' }),
    );
    await worker.runUntil(async () => {
      const lead = await personWithToken(db.pool, ['lead'], 'api-lead');
      const oncall = await personWithToken(db.pool, ['oncall'], 'api-oncall');
      const viewer = await personWithToken(db.pool, ['viewer'], 'api-viewer');

      const policy = { timeZone: 'Asia/Shanghai', levels: [{ people: ['api-oncall'] }, { rota: 'primary' }], leadership: ['api-lead'] };
      expect((await call('PUT', '/v1/programs/prog-api/escalation-policy', viewer.token, policy)).status).toBe(403);
      const put = await call('PUT', '/v1/programs/prog-api/escalation-policy', lead.token, policy);
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({
        repeats: 2,
        resolutionTimeoutMinutes: 60,
        levels: [{ ackTimeoutMinutes: 15 }, { rota: 'primary' }],
      });
      const rota = { timeZone: 'Asia/Shanghai', shifts: [{ day: 'mon', from: '08:00', people: ['api-lead'] }] };
      expect((await call('PUT', '/v1/programs/prog-api/rotas/primary', lead.token, rota)).status).toBe(200);
      expect((await call('GET', '/v1/programs/prog-api/rotas/primary', viewer.token)).json).toEqual(rota);
      const badRota = await call('PUT', '/v1/programs/prog-api/rotas/primary', lead.token, {
        timeZone: 'Asia/Shanghai',
        shifts: [{ day: 'mon', from: '8am', people: ['x1'] }],
      });
      expect(badRota.json.issues).toEqual([expect.objectContaining({ path: 'body.shifts.0.from', message: 'must be HH:MM (24 h)' })]);

      expect((await call('POST', '/v1/incidents', viewer.token, { programId: 'prog-api', severity: 'sev2' })).status).toBe(403);
      const raised = await call('POST', '/v1/incidents', oncall.token, {
        programId: 'prog-api',
        departments: ['LAB'],
        condition: 'reported',
        severity: 'sev2',
      });
      expect(raised.status).toBe(202);
      expect(raised.json).toMatchObject({ workflowId: workflowIds.incident('prog-api', 'reported', 'LAB'), deduplicated: false });
      const incidentId = raised.json.incidentId as string;
      const again = await call('POST', '/v1/incidents', lead.token, {
        programId: 'prog-api',
        departments: ['LAB'],
        condition: 'reported',
        severity: 'sev2',
      });
      expect(again.json).toMatchObject({ incidentId, deduplicated: true });

      const [mail] = await smtp.waitFor((m) => m.some((x) => x.to.includes('api-oncall@hospital.test')));
      const link = /http:\/\/golive\.test(\/ack\/[A-Za-z0-9_-]{43})/.exec(mail!.text)![1]!;

      // Following the link (as a mail scanner does) only shows the page.
      const page = await call('GET', link);
      expect(page.status).toBe(200);
      expect(page.text).toContain('golive command center');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const about = await call('GET', link.replace('/ack/', '/v1/ack-links/'));
      expect(about.json).toMatchObject({ incidentId, programId: 'prog-api', severity: 'sev2', condition: 'reported', status: 'open' });
      expect((await env.client.workflow.getHandle(raised.json.workflowId).query(incidentStatusQuery)).status).toBe('open');

      expect((await call('POST', link)).status).toBe(401);
      // The link is the on-call's: anyone else, whatever their roles, is sent to the incident page.
      for (const other of [viewer, lead]) {
        const notYours = await call('POST', link, other.token);
        expect(notYours.status).toBe(403);
        expect(notYours.json).toMatchObject({ error: 'ack_link_not_yours', incidentId });
      }
      const acked = await call('POST', link, oncall.token);
      expect(acked.status).toBe(200);
      expect(acked.json).toMatchObject({ personId: 'api-oncall', displayName: 'Test oncall' });
      expect((await call('POST', link, oncall.token)).status).toBe(410);
      // The trail keeps the link's hash, never the token that was a credential.
      const token = link.slice('/ack/'.length);
      const trail = await db.pool.query<{ target: Record<string, string> }>(
        `SELECT target FROM audit_log WHERE action = 'POST /ack/{token}'`,
      );
      expect(trail.rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(trail.rows)).not.toContain(token);
      // Refusals (401, 403, 410) included: each names the link by its hash.
      expect(trail.rows.map((r) => r.target.token)).toEqual(trail.rows.map(() => expect.stringMatching(/^sha256:[0-9a-f]{64}$/)));
      expect((await call('GET', link.replace('/ack/', '/v1/ack-links/'))).status).toBe(410);

      const second = await call('POST', `/v1/incidents/${incidentId}/acknowledge`, lead.token);
      expect(second.status).toBe(409);
      expect(second.json).toMatchObject({
        error: 'InvalidState',
        message: 'already acknowledged by Test oncall',
        owner: { personId: 'api-oncall' },
      });

      const note = 'Interface engine queue restarted after config fix';
      expect((await call('POST', `/v1/incidents/${incidentId}/resolve`, viewer.token, { code: 'fixed', note })).status).toBe(403);
      const resolved = await call('POST', `/v1/incidents/${incidentId}/resolve`, oncall.token, { code: 'fixed', note });
      expect(resolved.status).toBe(200);
      expect(resolved.json).toMatchObject({ status: 'resolved', resolutionCode: 'fixed' });
      expect((await call('POST', `/v1/incidents/${incidentId}/resolve`, oncall.token, { code: 'fixed', note })).status).toBe(409);

      const detail = await call('GET', `/v1/incidents/${incidentId}`, viewer.token);
      expect(detail.json).toMatchObject({
        incidentId,
        status: 'resolved',
        ownerId: 'api-oncall',
        repeats: 1,
        resolutionCode: 'fixed',
        resolutionNote: { code: 'fixed', text: note, personId: 'api-oncall' },
      });
      expect((detail.json.timeline as { kind: string }[]).map((e) => e.kind)).toEqual(
        expect.arrayContaining(['raised', 'queued', 'delivered', 'repeated', 'acknowledged', 'resolved']),
      );
      // People by name for the pages: the owner and resolver (the row), everyone on the timeline (the detail).
      expect(detail.json.names).toMatchObject({ 'api-oncall': 'Test oncall' });
      const list = await call('GET', '/v1/incidents?programId=prog-api', viewer.token);
      expect(list.json.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([incidentId]);
      expect(list.json.incidents[0].names).toMatchObject({ 'api-oncall': 'Test oncall' });

      const handle = env.client.workflow.getHandle(raised.json.workflowId);
      await handle.result();
      // Every payload in the history, decoded: the resolution's id and code are there, its text is not.
      const payloads: string[] = [];
      const walk = (v: unknown): void => {
        if (v instanceof Uint8Array) payloads.push(Buffer.from(v).toString('utf8'));
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(await handle.fetchHistory());
      const all = payloads.join('\n');
      expect(all).toContain('"code":"fixed"');
      expect(all).not.toContain('Interface engine');
    });
  });

  it('refuses a raise for a program with neither a stored policy nor a plan', async () => {
    const lead = await personWithToken(db.pool, ['lead'], 'api-lead-2');
    const res = await call('POST', '/v1/incidents', lead.token, { programId: 'prog-none', severity: 'sev3' });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ error: 'no_policy' });
  });
});
