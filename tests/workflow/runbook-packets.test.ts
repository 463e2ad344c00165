/**
 * A runbook that works on paper: a run stores a packet per owner (rota owners as resolved at its
 * start) and the whole night's, fetched through the API by the owner and the lead only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putRota } from '../../app/incidents';
import { runbookPacketRoutes } from '../../api/routes/runbook-packets';
import { runbookRoutes } from '../../api/routes/runbooks';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import type { RunbookInput } from '../../domain/runbook';
import { personWithToken } from '../helpers/people';
import { uniqueSuffix } from '../helpers/temporal';
import { workflowApiBed, type WorkflowApiBed } from '../helpers/workflow-api';

let bed: WorkflowApiBed;
beforeAll(async () => {
  bed = await workflowApiBed('runbook-packets', [...runbookRoutes, ...runbookPacketRoutes]);
});
afterAll(() => bed?.close());

describe('paper packets', () => {
  it("stores a packet per owner and the whole night's when a run starts; owners and leads fetch them, nobody else; the lead enters the sheet back", async () => {
    const { db, api } = bed;
    const worker = await bed.worker();
    await worker.runUntil(async () => {
      const lead = await personWithToken(db.pool, ['lead'], 'pk-lead');
      const nurse = await personWithToken(db.pool, ['viewer'], 'pk-nurse', 'Nurse Wang');
      const pharmacist = await personWithToken(db.pool, ['viewer'], 'pk-pharm', 'Pharmacist Li');
      const programId = `pk-${uniqueSuffix()}`;
      await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'h', 'pk-lead')`, [
        programId,
        parsePlan({ ...testPlan(), programId }),
      ]);
      await putRota(
        db.pool,
        programId,
        'pharmacy',
        { timeZone: 'Asia/Shanghai', shifts: [{ day: 'mon', from: '00:00', people: ['pk-pharm'] }] },
        'pk-lead',
      );
      const runbook: RunbookInput = {
        id: 'pilot-night',
        title: '试点上线之夜',
        window: { start: '23:30', minutes: 330 },
        tasks: [
          {
            id: 'freeze',
            kind: 'paper',
            title: 'Print MARs & <forms>',
            department: 'IM-OPD',
            owner: { person: 'pk-nurse' },
            plannedMinutes: 30,
          },
          {
            id: 'verify-orders',
            kind: 'validation',
            title: '核对医嘱',
            owner: { rota: 'pharmacy' },
            predecessors: ['freeze'],
            plannedMinutes: 45,
            signOff: 2,
          },
          {
            id: 'end',
            kind: 'milestone',
            title: 'Night done',
            owner: { person: 'pk-lead' },
            predecessors: ['verify-orders'],
            plannedMinutes: 0,
          },
        ],
      };
      const runs = `/v1/programs/${programId}/runbook-runs`;
      expect((await api.call('POST', runs, lead.token, { runId: 'night-1', mode: 'live', runbook, startDate: '2026-03-08' })).status).toBe(
        201,
      );

      const packets = `${runs}/night-1/packets`;
      let list = await api.call('GET', packets, lead.token);
      for (let i = 0; i < 100 && list.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        list = await api.call('GET', packets, lead.token);
      }
      expect(list.json.packets.map((p: { owner: string; tasks: number }) => [p.owner, p.tasks])).toEqual([
        ['_night', 3],
        ['pk-lead', 1],
        ['pk-nurse', 1],
        ['pk-pharm', 1],
      ]);
      // Anyone else sees their own only.
      expect((await api.call('GET', packets, nurse.token)).json.packets).toMatchObject([
        { owner: 'pk-nurse', href: `${packets}/pk-nurse` },
      ]);

      const page = await api.call('GET', `${packets}/pk-nurse`, nurse.token);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
      // Its task by code, with the planned times in the hospital's zone, a tick box and a signature line.
      expect(page.text).toContain('Nurse Wang (pk-nurse)');
      expect(page.text).toContain('<td class="code">freeze</td>');
      expect(page.text).toContain('Print MARs &amp; &lt;forms&gt;');
      expect(page.text).not.toContain('<forms>');
      expect(page.text).toContain('<td>03-08 23:30</td>\n<td>03-09 00:00</td>');
      expect(page.text).toContain('&#9744;');
      expect(page.text).toContain('times in Asia/Shanghai');
      expect(page.text).not.toContain('verify-orders');

      const night = await api.call('GET', `${packets}/_night`, lead.token);
      expect(night.text).toContain('<td class="code">verify-orders</td>');
      // The rota's owner as resolved at the run's start, said so; two signature lines for a two-person task.
      expect(night.text).toContain('Pharmacist Li (pk-pharm) <small>(rota pharmacy, on call at the run&#39;s start)</small>');
      expect(night.text).toContain('1. signature / time');
      expect(night.text).toContain('2. signature / time');
      expect(night.text).toContain('<td class="code">freeze</td>');

      // In the reader's language (theirs, else the hospital's, else English), or the one asked for.
      expect(night.text).toContain('<html lang="en">');
      const zh = await api.call('GET', `${packets}/_night?lang=zh-CN`, lead.token);
      expect(zh.text).toContain('<html lang="zh-CN">');
      expect(zh.text).toContain('<h1>试点上线之夜：当晚全部任务</h1>');
      expect(zh.text).toContain('Pharmacist Li (pk-pharm) <small>（值班表 pharmacy，执行开始时当班）</small>');
      expect(zh.text).toContain('1. 签名 / 时间');
      await db.pool.query(`UPDATE people SET locale = 'zh-CN' WHERE id = 'pk-nurse'`);
      expect((await api.call('GET', `${packets}/pk-nurse`, lead.token)).text).toContain('<th>计划开始</th>');

      const json = await api.call('GET', `${packets}/pk-pharm?format=json`, pharmacist.token);
      expect(json.json).toMatchObject({
        owner: 'pk-pharm',
        mode: 'live',
        timeZone: 'Asia/Shanghai',
        tasks: [{ id: 'verify-orders', owners: ['pk-pharm'], rota: 'pharmacy', signOff: 2, checkedOff: true, predecessors: ['freeze'] }],
      });
      expect(json.json.tasks[0].plannedStartMs).toBe(Date.parse('2026-03-08T16:00:00Z'));

      // Off the script: someone else's packet, the whole night without being a lead, a packet that is not there, a bad owner.
      expect((await api.call('GET', `${packets}/pk-pharm`, nurse.token)).json).toMatchObject({ error: 'packet_not_yours' });
      expect((await api.call('GET', `${packets}/_night`, nurse.token)).status).toBe(403);
      expect((await api.call('GET', `${packets}/pk-nobody`, lead.token)).status).toBe(404);
      expect((await api.call('GET', `${packets}/Not%20Me`, lead.token)).json.issues[0]).toMatchObject({ path: 'params.owner' });
      expect((await api.call('GET', `${runs}/night-9/packets`, lead.token)).status).toBe(404);

      // The sheet comes back ticked: the lead back-enters it through the API (scribe mode).
      const paperAt = (await bed.env.currentTimeMs()) - 60_000;
      const checkOffs = (t: string) => `${runs}/night-1/tasks/${t}/check-offs`;
      const sheet = { channel: 'paper', onPaper: { personId: 'pk-nurse', atMs: paperAt } };
      expect((await api.call('POST', checkOffs('freeze'), nurse.token, sheet)).status).toBe(403);
      const early = await api.call('POST', checkOffs('verify-orders'), lead.token, {
        channel: 'paper',
        result: 'pass',
        onPaper: { personId: 'pk-pharm', atMs: paperAt, secondPersonId: 'pk-nurse' },
      });
      expect([early.status, early.json.message]).toEqual([409, 'task verify-orders is not ready: enter the check-offs of freeze first']);
      const entered = await api.call('POST', checkOffs('freeze'), lead.token, sheet);
      expect(entered.status).toBe(200);
      expect(entered.json.signOffs).toMatchObject([
        { personId: 'pk-nurse', channel: 'paper', transcribed: true, transcribedBy: 'pk-lead' },
      ]);
      const csv = await api.call('GET', `${runs}/night-1/runbook.csv`, lead.token);
      expect(csv.text).toContain(`pk-nurse paper ${new Date(entered.json.signOffs[0].atMs).toISOString()} transcribed-by pk-lead at `);

      // A second run of the same runbook has packets of its own; the first run's stay as they were.
      expect((await api.call('POST', runs, lead.token, { runId: 'night-2', mode: 'live', runbook, startDate: '2026-03-09' })).status).toBe(
        201,
      );
      let second = await api.call('GET', `${runs}/night-2/packets/pk-nurse?format=json`, lead.token);
      for (let i = 0; i < 100 && second.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        second = await api.call('GET', `${runs}/night-2/packets/pk-nurse?format=json`, lead.token);
      }
      expect(second.json.tasks[0].plannedStartMs).toBe(Date.parse('2026-03-09T15:30:00Z'));
      expect((await api.call('GET', `${packets}/pk-nurse?format=json`, lead.token)).json.tasks[0].plannedStartMs).toBe(
        Date.parse('2026-03-08T15:30:00Z'),
      );
    });
  });
});
