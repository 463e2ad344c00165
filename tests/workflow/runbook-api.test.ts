import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbookRoutes } from '../../api/routes/runbooks';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { personWithToken } from '../helpers/people';
import { apiTestBed } from '../helpers/api-bed';
import { uniqueSuffix } from '../helpers/temporal';

let bed: Awaited<ReturnType<typeof apiTestBed>>;
let db: typeof bed.db;

beforeAll(async () => {
  bed = await apiTestBed('runbook-api', runbookRoutes);
  ({ db } = bed);
});
afterAll(() => bed?.close());

const call = (...args: Parameters<typeof bed.call>) => bed.call(...args);

const header = 'id,kind,title,department,owner,predecessors,planned_minutes,not_before,sign_off,step';
const settings = { id: 'pilot-night', title: '试点上线之夜', window: { start: '00:00', minutes: 330 } };

describe('runbooks API', () => {
  it('imports a spreadsheet, starts the run, an owner checks off, the timeline moves, the run exports as CSV; off the script refused by field', async () => {
    const worker = await bed.worker();
    await worker.runUntil(async () => {
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
});
