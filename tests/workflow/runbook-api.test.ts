import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { checkLinkRoutes } from '../../api/routes/check-links';
import { runbookRoutes } from '../../api/routes/runbooks';
import { hashAckToken } from '../../app/ack-tokens';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import type { RunbookInput } from '../../domain/runbook';
import { loadConfig } from '../../platform/config';
import { createMailer } from '../../platform/mailer';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { testWorker, timeSkippingEnv, uniqueSuffix, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtp;
let api: TestApi;
const taskQueue = uniqueTaskQueue('runbook-api');

beforeAll(async () => {
  [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase('rbapi'), startTestSmtp()]);
  api = await startTestApi(
    testDeps(db.pool, {
      temporal: env.client,
      config: loadConfig({ TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_BASE_URL: 'http://golive.test' }),
    }),
    [...runbookRoutes, ...checkLinkRoutes],
  );
});
afterAll(async () => {
  await api?.close();
  await Promise.all([env?.teardown(), db?.close(), smtp?.close()]);
});

const call = (...args: Parameters<TestApi['call']>) => api.call(...args);

/** Runs `fn` with a worker of the real activities (e-mail to the test's SMTP server) on the test's task queue. */
async function withWorker(fn: () => Promise<void>): Promise<void> {
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  const worker = await testWorker(
    env,
    taskQueue,
    createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test' }),
  );
  await worker.runUntil(fn);
}

const header = 'id,kind,title,department,owner,predecessors,planned_minutes,not_before,sign_off,step';
/**
 * Check-off links off the script (the second test): a GET changes nothing, a link is single use and
 * expires, a two-person task takes the link as one signature, a validation's link records its
 * result, a rehearsal's link says rehearsal, and a link whose person may not check the task off is
 * refused and stays good.
 */
const tokenIn = (text: string) => /\/check\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];

const runbook = (nurse: string, lead: string): RunbookInput => ({
  id: 'pilot-night',
  title: 'Pilot night',
  window: { start: '00:00', minutes: 330 },
  tasks: [
    { id: 'sign-orders', kind: 'manual', title: 'Physicians sign orders', owner: { person: nurse }, plannedMinutes: 30, signOff: 2 },
    {
      id: 'check-census',
      kind: 'validation',
      title: 'Census checked',
      owner: { person: nurse },
      predecessors: ['sign-orders'],
      plannedMinutes: 10,
    },
    { id: 'end', kind: 'milestone', title: 'Night done', owner: { person: lead }, predecessors: ['check-census'], plannedMinutes: 0 },
  ],
});

const settings = { id: 'pilot-night', title: '试点上线之夜', window: { start: '00:00', minutes: 330 } };

describe('runbooks API', () => {
  it('imports a spreadsheet, starts the run, an owner checks off, the timeline moves, the run exports as CSV; off the script refused by field', async () => {
    await withWorker(async () => {
      const lead = await personWithToken(db.pool, ['lead'], 'rb-lead');
      const nurse = await personWithToken(db.pool, ['viewer'], 'rb-nurse');
      const other = await personWithToken(db.pool, ['viewer'], 'rb-other');
      const programId = `rbapi-${uniqueSuffix()}`;
      await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'rb-lead')`, [
        programId,
        parsePlan({ ...testPlan(), programId }),
      ]);

      const csv = [
        header,
        'freeze,manual,冻结挂号,IM-OPD,person:rb-nurse,,30,,1,',
        'grant,adapter-step,Grant access,LAB,person:rb-lead,freeze,5,,1,grant-access',
        'end,milestone,Night done,,person:rb-lead,grant,0,,1,',
      ].join('\n');
      expect((await call('POST', '/v1/runbooks/csv', nurse.token, { ...settings, csv })).status).toBe(403);
      const imported = await call('POST', '/v1/runbooks/csv', lead.token, { ...settings, csv });
      expect(imported.status).toBe(200);
      const bad = await call('POST', '/v1/runbooks/csv', lead.token, { ...settings, csv: csv.replace('grant,adapter', 'grant,magic') });
      expect(bad.status).toBe(400);
      expect(bad.json.issues[0]).toMatchObject({ path: 'body.csv.row3.kind' });

      // A step the plan does not hold, and a rehearsal without its list, are refused by field.
      const wrongStep = structuredClone(imported.json);
      wrongStep.tasks[1].step = 'no-such-step';
      const refused = await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, {
        runId: 'night-1',
        mode: 'live',
        runbook: wrongStep,
      });
      expect(refused.status).toBe(400);
      expect(refused.json.issues).toEqual([
        { path: 'body.runbook.tasks.1.step', message: 'department LAB has no step no-such-step in the plan', rule: 'step-in-plan' },
      ]);
      const noList = await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, {
        runId: 'dress-1',
        mode: 'rehearsal',
        runbook: imported.json,
      });
      expect(noList.json.issues).toMatchObject([{ path: 'body.rehearsalRecipients', rule: 'rehearsal-recipients' }]);
      expect(
        (
          await call('POST', `/v1/programs/no-such-${uniqueSuffix()}/runbook-runs`, lead.token, {
            runId: 'n',
            mode: 'live',
            runbook: imported.json,
          })
        ).status,
      ).toBe(404);

      const body = { runId: 'night-1', mode: 'live', runbook: imported.json, startDate: '2026-01-01' };
      const started = await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, body);
      expect(started.status).toBe(201);
      // The same request again is the same run.
      expect((await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, body)).status).toBe(201);

      const path = `/v1/programs/${programId}/runbook-runs/night-1`;
      let run = await call('GET', path, nurse.token);
      // Reads are shared for up to a second (app/live-reads.ts): poll as a page does.
      const poll = async (done: (r: typeof run) => boolean) => {
        for (let i = 0; i < 100 && !done(run); i++) {
          await new Promise((r) => setTimeout(r, 100));
          run = await call('GET', path, nurse.token);
        }
      };
      await poll((r) => r.json.tasks[0].status === 'ready');
      expect(run.json.tasks[0]).toMatchObject({ id: 'freeze', title: '冻结挂号', status: 'ready', owners: ['rb-nurse'] });
      expect(run.json.schedule.criticalPath).toEqual(['freeze', 'grant', 'end']);

      expect((await call('POST', `${path}/tasks/freeze/check-offs`, other.token, {})).status).toBe(403);
      expect((await call('POST', `${path}/tasks/grant/check-offs`, nurse.token, {})).status).toBe(409);
      expect((await call('POST', `${path}/tasks/nope/check-offs`, nurse.token, {})).status).toBe(400);
      const checked = await call('POST', `${path}/tasks/freeze/check-offs`, nurse.token, {});
      expect(checked.status).toBe(200);
      expect(checked.json).toMatchObject({ status: 'done', signOffs: [{ personId: 'rb-nurse', channel: 'command-center' }] });

      // The timeline moved at once for the one who checked off; the adapter step then runs by itself.
      await poll((r) => r.json.status === 'finished');
      expect(run.json.status).toBe('finished');
      const audit = await db.pool.query(
        `SELECT actor, details->>'channel' AS channel FROM audit_log WHERE action = 'runbook.task-checked-off' AND target->>'programId' = $1`,
        [programId],
      );
      expect(audit.rows).toEqual([{ actor: 'rb-nurse', channel: 'command-center' }]);

      // The finished run is kept for the rehearsal report, which reads it from there.
      const kept = async () => (await db.pool.query('SELECT runbook_id, mode FROM runbook_run WHERE program_id = $1', [programId])).rows;
      for (let i = 0; i < 100 && (await kept()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await kept()).toEqual([{ runbook_id: 'pilot-night', mode: 'live' }]);
      const report = await call('GET', `${path}/report`, nurse.token);
      expect(report.status).toBe(200);
      expect(report.json).toMatchObject({ runId: 'night-1', mode: 'live', compressed: false, earlierRuns: [] });
      expect(report.json.tasks.map((t: { id: string; runs: number }) => [t.id, t.runs])).toEqual([
        ['freeze', 1],
        ['grant', 1],
        ['end', 1],
      ]);

      const exported = await call('GET', `${path}/runbook.csv`, nurse.token);
      expect(exported.headers.get('content-type')).toContain('text/csv');
      const back = await call('POST', '/v1/runbooks/csv', lead.token, { ...settings, csv: exported.text });
      expect(back.json).toEqual(imported.json);
    });
  });

  it('a link is one signature, single use, expiring, read without effect; a rehearsal says so; a refusal keeps it', async () => {
    await withWorker(async () => {
      const lead = await personWithToken(db.pool, ['lead'], 'cl-lead');
      const nurse = await personWithToken(db.pool, ['viewer'], 'cl-nurse', '护士 Zhou');
      const stranger = await personWithToken(db.pool, ['viewer'], 'cl-stranger');
      const programId = `cl-${uniqueSuffix()}`;
      await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'cl-lead')`, [
        programId,
        parsePlan({ ...testPlan(), programId }),
      ]);
      const path = `/v1/programs/${programId}/runbook-runs/night-1`;
      const started = await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, {
        runId: 'night-1',
        mode: 'live',
        runbook: runbook(nurse.personId, lead.personId),
        startDate: '2026-01-01',
      });
      expect(started.status).toBe(201);
      const mailTo = async (who: string, task: string) =>
        (await smtp.waitFor((m) => m.some((x) => x.to.includes(`${who}@hospital.test`) && x.subject.includes(` ${task} `)))).find(
          (x) => x.to.includes(`${who}@hospital.test`) && x.subject.includes(` ${task} `),
        )!;

      const signMail = await mailTo(nurse.personId, 'sign-orders');
      const token = tokenIn(signMail.text)!;
      expect(token).toBeDefined();
      expect(signMail.text).not.toContain('Physicians sign orders');
      // Stored hashed only.
      const stored = await db.pool.query('SELECT token_hash, person_id, task_id FROM runbook_check_tokens WHERE program_id = $1', [
        programId,
      ]);
      expect(stored.rows).toEqual([{ token_hash: hashAckToken(token), person_id: nurse.personId, task_id: 'sign-orders' }]);

      // Reading the link (as a mail scanner would, or the page) changes nothing.
      const read = await call('GET', `/v1/check-links/${token}`);
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({
        programId,
        runId: 'night-1',
        mode: 'live',
        taskId: 'sign-orders',
        title: 'Physicians sign orders',
        status: 'ready',
        signOff: 2,
        signatures: 0,
        person: { personId: nurse.personId, displayName: '护士 Zhou' },
      });
      expect((await call('GET', `/check/${token}`)).status).toBe(200);
      expect((await call('GET', path, lead.token)).json.tasks[0].signOffs).toEqual([]);

      // Unknown, truncated: refused by name, nothing done.
      expect((await call('GET', `/v1/check-links/${'A'.repeat(43)}`)).status).toBe(410);
      const truncated = await call('POST', `/check/${token.slice(0, 20)}`, undefined, {});
      expect(truncated.status).toBe(400);
      expect(truncated.json.issues[0]).toMatchObject({ path: 'params.token' });

      // Confirmed: the nurse's signature, one of two, on channel email-link; then the link is used up.
      const first = await call('POST', `/check/${token}`, undefined, {});
      expect(first.status, first.text).toBe(200);
      expect(first.json).toMatchObject({ status: 'ready', signOffs: [{ personId: nurse.personId, channel: 'email-link' }] });
      expect((await call('POST', `/check/${token}`, undefined, {})).status).toBe(410);
      expect((await call('GET', `/v1/check-links/${token}`)).status).toBe(410);
      // The second signature is someone else's: a lead in the command center.
      const second = await call('POST', `${path}/tasks/sign-orders/check-offs`, lead.token, {});
      expect(second.json).toMatchObject({ status: 'done' });

      // A validation's link records its result; an expired one does nothing.
      const checkMail = await mailTo(nurse.personId, 'check-census');
      const checkToken = tokenIn(checkMail.text)!;
      await db.pool.query(`UPDATE runbook_check_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
        hashAckToken(checkToken),
      ]);
      expect((await call('POST', `/check/${checkToken}`, undefined, { result: 'pass' })).status).toBe(410);
      await db.pool.query(`UPDATE runbook_check_tokens SET expires_at = now() + interval '1 hour' WHERE token_hash = $1`, [
        hashAckToken(checkToken),
      ]);
      expect((await call('POST', `/check/${checkToken}`, undefined, { result: 'maybe' })).status).toBe(400);
      const passed = await call('POST', `/check/${checkToken}`, undefined, { result: 'pass' });
      expect(passed.json).toMatchObject({ status: 'done', result: 'pass' });

      const audit = await db.pool.query(
        `SELECT actor, details->>'channel' AS channel, result FROM audit_log WHERE action = 'runbook.task-checked-off' AND target->>'programId' = $1 ORDER BY seq`,
        [programId],
      );
      expect(audit.rows).toEqual([
        { actor: nurse.personId, channel: 'email-link', result: 'signed' },
        { actor: lead.personId, channel: 'command-center', result: 'done' },
        { actor: nurse.personId, channel: 'email-link', result: 'done' },
      ]);

      // A rehearsal: the link goes to the rehearsal's list and says rehearsal. A recipient who does
      // not own the task is refused (403) and the link stays good; the owner's own link works.
      const dress = await call('POST', `/v1/programs/${programId}/runbook-runs`, lead.token, {
        runId: 'dress-1',
        mode: 'rehearsal',
        runbook: runbook(nurse.personId, lead.personId),
        startDate: '2026-01-01',
        rehearsalRecipients: [stranger.personId, nurse.personId],
      });
      expect(dress.status).toBe(201);
      const isDress = (x: { subject: string }) => x.subject.includes('REHEARSAL') && x.subject.includes(' sign-orders ');
      const dressMails = await smtp.waitFor((m) => m.filter(isDress).length >= 2);
      const strangerMail = dressMails.find((x) => isDress(x) && x.to.includes(`${stranger.personId}@hospital.test`))!;
      const nurseMail = dressMails.find((x) => isDress(x) && x.to.includes(`${nurse.personId}@hospital.test`))!;
      const strangerToken = tokenIn(strangerMail.text)!;
      expect(strangerToken).not.toBe(tokenIn(nurseMail.text));
      expect((await call('GET', `/v1/check-links/${strangerToken}`)).json).toMatchObject({ mode: 'rehearsal', runId: 'dress-1' });
      const refused = await call('POST', `/check/${strangerToken}`, undefined, {});
      expect(refused.status).toBe(403);
      expect(refused.json.message).toContain('not yours');
      expect((await call('GET', `/v1/check-links/${strangerToken}`)).status).toBe(200);
      const owned = await call('POST', `/check/${tokenIn(nurseMail.text)!}`, undefined, {});
      expect(owned.json).toMatchObject({ signOffs: [{ personId: nurse.personId, channel: 'email-link' }] });
    });
  });
});
