import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbookRoutes } from '../../api/routes/runbooks';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { personWithToken } from '../helpers/people';
import { apiTestBed } from '../helpers/api-bed';
import { uniqueSuffix, skipTime } from '../helpers/temporal';

let bed: Awaited<ReturnType<typeof apiTestBed>>;
let db: typeof bed.db;
let env: typeof bed.env;

beforeAll(async () => {
  bed = await apiTestBed('runbook-store', runbookRoutes);
  ({ db, env } = bed);
});
afterAll(() => bed?.close());

const call = (...args: Parameters<typeof bed.call>) => bed.call(...args);
const runbook = (aMinutes: number) => ({
  id: 'pilot-night',
  title: 'Pilot night',
  window: { start: '00:00', minutes: 330 },
  // Nothing turns late within the test: the run's report is what this test is about.
  lateAfterMinutes: 240,
  tasks: [
    { id: 'a', kind: 'manual', title: 'Freeze registration', owner: { person: 'rbs-nurse' }, plannedMinutes: aMinutes },
    { id: 'b', kind: 'manual', title: 'Walk the printers', owner: { person: 'rbs-nurse' }, plannedMinutes: 30 },
    { id: 'end', kind: 'milestone', title: 'Night done', owner: { person: 'rbs-lead' }, predecessors: ['a', 'b'], plannedMinutes: 0 },
  ],
});

async function newProgram() {
  const programId = `rbs-${uniqueSuffix()}`;
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'rbs-lead')`, [
    programId,
    parsePlan({ ...testPlan(), programId }),
  ]);
  return programId;
}

describe('stored runbooks', () => {
  it('are versioned: the same runbook twice is one version, a change is the next, each audited; reads by version; list; refusals by field', async () => {
    const lead = await personWithToken(db.pool, ['lead'], 'rbs-lead');
    const viewer = await personWithToken(db.pool, ['viewer'], 'rbs-viewer');
    const programId = await newProgram();
    const path = `/v1/programs/${programId}/runbooks/pilot-night`;

    expect((await call('PUT', path, viewer.token, runbook(10))).status).toBe(403);
    const first = await call('PUT', path, lead.token, runbook(10));
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ version: 1, source: 'put', createdBy: 'rbs-lead', runbook: { id: 'pilot-night' } });
    expect((await call('PUT', path, lead.token, runbook(10))).json).toMatchObject({ version: 1 });
    expect((await call('PUT', path, lead.token, runbook(10))).status).toBe(200);
    const second = await call('PUT', path, lead.token, runbook(20));
    expect(second.status).toBe(201);
    expect(second.json.version).toBe(2);

    const minutesOfA = (r: { json: { version: number; runbook: { tasks: { plannedMinutes: number }[] } } }) => [
      r.json.version,
      r.json.runbook.tasks[0]!.plannedMinutes,
    ];
    expect(minutesOfA(await call('GET', path, viewer.token))).toEqual([2, 20]);
    expect(minutesOfA(await call('GET', `${path}?version=1`, viewer.token))).toEqual([1, 10]);
    expect((await call('GET', `${path}?version=3`, viewer.token)).status).toBe(404);
    expect((await call('GET', `${path}?version=0`, viewer.token)).status).toBe(400);
    const list = await call('GET', `/v1/programs/${programId}/runbooks`, viewer.token);
    expect(list.json.runbooks).toEqual([
      expect.objectContaining({ id: 'pilot-night', version: 2, tasks: 3, window: { start: '00:00', minutes: 330 } }),
    ]);
    expect((await call('GET', `/v1/programs/no-${uniqueSuffix()}/runbooks`, viewer.token)).status).toBe(404);
    expect((await call('PUT', `/v1/programs/no-${uniqueSuffix()}/runbooks/pilot-night`, lead.token, runbook(10))).status).toBe(404);

    const wrongId = await call('PUT', `/v1/programs/${programId}/runbooks/other`, lead.token, runbook(10));
    expect(wrongId.status).toBe(400);
    expect(wrongId.json.issues).toEqual([{ path: 'body.id', rule: 'id-matches-path', message: 'must be other, the runbook of the path' }]);
    const cyclic = runbook(10);
    cyclic.tasks[0]!.predecessors = ['end'];
    expect((await call('PUT', path, lead.token, cyclic)).json.issues).toMatchObject([{ rule: 'no-cycle' }]);

    // A spreadsheet may store too: a third version, told apart by its source.
    const csv = [
      'id,kind,title,department,owner,predecessors,planned_minutes,not_before,sign_off,step',
      'a,manual,Freeze registration,,person:rbs-nurse,,25,,1,',
      'end,milestone,Night done,,person:rbs-lead,a,0,,1,',
    ].join('\n');
    const fromCsv = await call('POST', `/v1/programs/${programId}/runbooks/csv`, lead.token, {
      id: 'pilot-night',
      title: 'Pilot night',
      window: { start: '00:00', minutes: 330 },
      csv,
    });
    expect(fromCsv.status).toBe(201);
    expect(fromCsv.json).toMatchObject({ version: 3, source: 'csv' });
    const badCsv = await call('POST', `/v1/programs/${programId}/runbooks/csv`, lead.token, {
      id: 'pilot-night',
      title: 'Pilot night',
      window: { start: '00:00', minutes: 330 },
      csv: csv.replace('a,manual', 'a,magic'),
    });
    expect(badCsv.json.issues[0]).toMatchObject({ path: 'body.csv.row2.kind' });

    const audit = await db.pool.query(
      `SELECT actor, result, target->>'version' AS version FROM audit_log WHERE action = 'runbook.version-stored' AND target->>'programId' = $1 ORDER BY seq`,
      [programId],
    );
    expect(audit.rows).toEqual([
      { actor: 'rbs-lead', result: 'put', version: '1' },
      { actor: 'rbs-lead', result: 'put', version: '2' },
      { actor: 'rbs-lead', result: 'csv', version: '3' },
    ]);
  });

  it("a run names a stored runbook (its latest version, recorded in the run); a lead approves the report's proposed durations into it as a new version", async () => {
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const lead = await personWithToken(db.pool, ['lead'], 'rbs-lead2');
      const nurse = await personWithToken(db.pool, ['viewer'], 'rbs-nurse');
      const programId = await newProgram();
      const stored = `/v1/programs/${programId}/runbooks/pilot-night`;
      const runs = `/v1/programs/${programId}/runbook-runs`;
      expect((await call('PUT', stored, lead.token, runbook(10))).status).toBe(201);

      expect((await call('POST', runs, lead.token, { runId: 'n1', mode: 'live', runbookId: 'nope' })).status).toBe(404);
      const both = await call('POST', runs, lead.token, { runId: 'n1', mode: 'live', runbookId: 'pilot-night', runbook: runbook(10) });
      expect(both.json.issues).toEqual([
        { path: 'body.runbook', rule: 'runbook-or-runbook-id', message: 'give either the runbook or the runbookId of a stored one' },
      ]);
      expect((await call('POST', runs, lead.token, { runId: 'n1', mode: 'live' })).status).toBe(400);
      // The program names its departments' nights live-<department>-<attempt>: nobody else may take those ids.
      const reserved = await call('POST', runs, lead.token, { runId: 'live-LAB-2', mode: 'live', runbookId: 'pilot-night' });
      expect(reserved.json.issues).toMatchObject([{ path: 'body.runId', rule: 'reserved-run-id' }]);

      expect((await call('POST', runs, lead.token, { runId: 'n1', mode: 'live', runbookId: 'pilot-night' })).status).toBe(201);
      const path = `${runs}/n1`;
      const read = async () => (await call('GET', path, nurse.token)).json;
      let run = await read();
      for (let i = 0; i < 100 && run.tasks[0].status !== 'ready'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        run = await read();
      }
      expect(run).toMatchObject({ runbookId: 'pilot-night', runbookVersion: 1 });

      // Before the run has finished its report is not final: nothing to approve yet.
      const early = await call('POST', `${stored}/approved-durations`, lead.token, { runId: 'n1' });
      expect(early.status).toBe(409);

      // Task a takes 40 minutes instead of 10; b its planned 30.
      expect((await call('POST', `${path}/tasks/b/check-offs`, nurse.token, {})).status).toBe(200);
      await skipTime(env, 40 * 60_000);
      expect((await call('POST', `${path}/tasks/a/check-offs`, nurse.token, {})).status).toBe(200);
      const finished = async () => (await db.pool.query('SELECT 1 FROM runbook_run WHERE program_id = $1', [programId])).rowCount;
      for (let i = 0; i < 100 && !(await finished()); i++) await new Promise((r) => setTimeout(r, 100));
      const report = await call('GET', `${path}/report`, nurse.token);
      expect(report.json.tasks.map((t: { id: string; proposedMinutes: number | null }) => [t.id, t.proposedMinutes])).toEqual([
        ['a', 40],
        ['b', 0],
        ['end', null],
      ]);

      expect((await call('POST', `${stored}/approved-durations`, nurse.token, { runId: 'n1' })).status).toBe(403);
      const unknown = await call('POST', `${stored}/approved-durations`, lead.token, { runId: 'n1', tasks: ['end'] });
      expect(unknown.status).toBe(400);
      expect(unknown.json.issues).toEqual([
        { path: 'body.tasks', rule: 'has-proposal', message: 'the report of n1 proposes no duration for end' },
      ]);
      expect((await call('POST', `/v1/programs/${programId}/runbooks/other/approved-durations`, lead.token, { runId: 'n1' })).status).toBe(
        409,
      );

      // Only the task chosen: a goes to 40, b keeps its 30.
      const approved = await call('POST', `${stored}/approved-durations`, lead.token, { runId: 'n1', tasks: ['a'] });
      expect(approved.status).toBe(201);
      expect(approved.json).toMatchObject({
        version: 2,
        source: 'approved',
        fromRun: 'n1',
        createdBy: 'rbs-lead2',
        approved: [{ task: 'a', from: 10, to: 40 }],
      });
      expect(approved.json.runbook.tasks.map((t: { plannedMinutes: number }) => t.plannedMinutes)).toEqual([40, 30, 0]);
      // The same approval again changes nothing.
      const again = await call('POST', `${stored}/approved-durations`, lead.token, { runId: 'n1', tasks: ['a'] });
      expect(again.status).toBe(409);
      expect(again.json.error).toBe('nothing_proposed');
      const audit = await db.pool.query(
        `SELECT actor, result, details->>'fromRun' AS run, details->>'approved' AS approved FROM audit_log
         WHERE action = 'runbook.version-stored' AND target->>'programId' = $1 AND result = 'approved'`,
        [programId],
      );
      expect(audit.rows).toEqual([{ actor: 'rbs-lead2', result: 'approved', run: 'n1', approved: '1' }]);
    });
  });
});
