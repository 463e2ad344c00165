/**
 * The ladder's second channel: chat webhooks (generic signed, WeCom, DingTalk) against a real
 * local HTTP receiver, one that fails for a while and one that refuses for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { putChatChannel, setAlertVia } from '../../app/chat-channels';
import { putRota } from '../../app/incidents';
import { addPerson } from '../../app/people';
import { EscalationPolicy, incidentStatusQuery } from '../../domain/escalation';
import { eventually } from '../helpers/eventually';
import { db, finish, ladder, mailsTo, raise, useIncidentEnvironment, withWorker } from '../helpers/incident';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

useIncidentEnvironment();
let hooks: WebhookReceiver;
beforeAll(async () => {
  hooks = await startWebhookReceiver();
});
afterAll(() => hooks?.close());

const secret = 'golive-test-secret-0123';
async function staff(id: string, via: 'email' | 'chat' | 'both') {
  await addPerson(db.pool, { id, displayName: `Staff ${id}`, email: `${id}@hospital.test`, roles: ['oncall'] });
  await setAlertVia(db.pool, id, via);
}
const deliveries = async (incidentId: string) =>
  (
    await db.pool.query<{ kind: string; person_id: string; channel: string | null; reason: string | null }>(
      `SELECT kind, person_id, detail->>'channel' AS channel, detail->>'reason' AS reason FROM incident_events
      WHERE incident_id = $1 AND kind IN ('delivered', 'delivery-failed') ORDER BY seq`,
      [incidentId],
    )
  ).rows;

describe('incidentWorkflow: chat channels', () => {
  it('reaches each person the ways they asked, once each, through a rate limit and a webhook that is down for a while', async () => {
    await staff('ch-l1a', 'both');
    await staff('ch-l1b', 'chat');
    await putChatChannel(db.pool, { personId: 'ch-l1a' }, { id: 'l1a-wecom', kind: 'wecom', url: `${hooks.base}/wecom/send?key=robot-a` });
    await putChatChannel(db.pool, { personId: 'ch-l1b' }, { id: 'l1b-hook', kind: 'webhook', url: `${hooks.base}/hook/l1b`, secret });
    // WeCom rate-limits the first post; the bridge is down twice before it takes the message.
    hooks.script('/wecom/send', [
      { status: 200, body: { errcode: 45009, errmsg: 'api freq out of limit' } },
      { status: 200, body: { errcode: 0 } },
    ]);
    hooks.script('/hook/l1b', [{ status: 503 }, { status: 502 }, { status: 204 }]);

    await withWorker('chat', async ({ taskQueue }) => {
      const { handle } = await raise(taskQueue, 'prog-chat', ladder('ch'));
      const { incidentId } = await handle.query(incidentStatusQuery);
      await eventually(async () => {
        const s = await handle.query(incidentStatusQuery);
        expect(s.notices.delivered).toBe(3);
      }, 30_000);
      // l1a: e-mail and WeCom; l1b: the webhook alone, no e-mail.
      expect(mailsTo('ch-l1a')).toHaveLength(1);
      expect(mailsTo('ch-l1b')).toHaveLength(0);
      expect(hooks.to('/wecom/send')).toHaveLength(2);
      expect(hooks.to('/hook/l1b')).toHaveLength(3);
      const wecom = JSON.parse(hooks.to('/wecom/send')[1]!.body) as { msgtype: string; markdown: { content: string } };
      expect(wecom.msgtype).toBe('markdown');
      expect(wecom.markdown.content).toContain('**[golive SEV2] prog-chat/ICU: a go-live step failed**');
      expect(wecom.markdown.content).toMatch(/\[Acknowledge[^\]]*\]\(http:\/\/golive\.test\/ack\/[A-Za-z0-9_-]{43}\)/);

      // The generic webhook: signed over timestamp and body, the same opaque id on every attempt.
      const tries = hooks.to('/hook/l1b');
      const ids = new Set(tries.map((t) => t.headers['idempotency-key']));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f]{32}$/);
      for (const t of tries) {
        const ts = String(t.headers['x-golive-timestamp']);
        expect(t.headers['x-golive-signature']).toBe(`v1=${createHmac('sha256', secret).update(`${ts}.${t.body}`).digest('hex')}`);
      }
      const body = JSON.parse(tries[2]!.body) as {
        id: string;
        template: string;
        subject: string;
        links: { label: string; href: string }[];
      };
      expect(body).toMatchObject({ id: [...ids][0], template: 'incident' });
      expect(body.links.map((l) => l.href)).toContain(`http://golive.test/incidents/${incidentId}`);

      await eventually(async () =>
        expect(await deliveries(incidentId)).toEqual(
          expect.arrayContaining([
            { kind: 'delivered', person_id: 'ch-l1a', channel: null, reason: null },
            { kind: 'delivered', person_id: 'ch-l1a', channel: 'wecom', reason: null },
            { kind: 'delivered', person_id: 'ch-l1b', channel: 'webhook', reason: null },
          ]),
        ),
      );
      await finish(handle);
      // Nothing was sent again by the workflow's end (acknowledgement and resolution go to both).
      expect(hooks.to('/wecom/send').filter((h) => h.body.includes('resolved (fixed)'))).toHaveLength(1);
    });
  });

  it('a robot that refuses for good is tried once, recorded, and its chat-only person gets the e-mail instead', async () => {
    await staff('cr-l1a', 'chat');
    await staff('cr-l1b', 'email');
    await putChatChannel(db.pool, { personId: 'cr-l1a' }, { id: 'cr-wecom', kind: 'wecom', url: `${hooks.base}/wecom/bad?key=revoked` });
    hooks.script('/wecom/bad', [{ status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } }]);
    await withWorker('chat-refused', async ({ taskQueue }) => {
      const { handle } = await raise(taskQueue, 'prog-chat-refused', ladder('cr'));
      const { incidentId } = await handle.query(incidentStatusQuery);
      await eventually(async () => expect(mailsTo('cr-l1a')).toHaveLength(1), 30_000);
      expect(hooks.to('/wecom/bad')).toHaveLength(1);
      await eventually(async () => {
        const rows = await deliveries(incidentId);
        expect(rows).toContainEqual({ kind: 'delivery-failed', person_id: 'cr-l1a', channel: 'wecom', reason: 'ChatRejected' });
        expect(rows).toContainEqual({ kind: 'delivered', person_id: 'cr-l1a', channel: null, reason: null });
      });
      const last = await db.pool.query(`SELECT status, attempts, last_error FROM chat_outbox WHERE channel_id = 'cr-wecom'`);
      expect(last.rows).toEqual([{ status: 'sending', attempts: 1, last_error: 'http 200 errcode 93000' }]);
      await finish(handle);
    });
  });

  it("a rota's DingTalk group hears of its level, signed, without anyone's acknowledge link; the person on call is e-mailed as before", async () => {
    const dingSecret = 'SEC0123456789abcdef';
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    await putRota(
      db.pool,
      'prog-chat-rota',
      'night',
      { timeZone: 'Asia/Shanghai', shifts: days.map((day) => ({ day, from: '00:00', people: ['cg-oncall'] })) },
      'test',
    );
    await putChatChannel(
      db.pool,
      { programId: 'prog-chat-rota', rota: 'night' },
      { id: 'night-ding', kind: 'dingtalk', url: `${hooks.base}/robot/send?access_token=tok`, secret: dingSecret },
    );
    hooks.script('/robot/send', [
      { status: 200, body: { errcode: 130101, errmsg: 'send too fast' } },
      { status: 200, body: { errcode: 0 } },
    ]);
    await withWorker('chat-rota', async ({ taskQueue }) => {
      const policy = EscalationPolicy.parse({ timeZone: 'Asia/Shanghai', levels: [{ rota: 'night' }, { people: ['cg-l2'] }], repeats: 1 });
      const { handle } = await raise(taskQueue, 'prog-chat-rota', policy);
      const { incidentId } = await handle.query(incidentStatusQuery);
      await eventually(async () => expect(hooks.to('/robot/send')).toHaveLength(2), 30_000);
      const post = hooks.to('/robot/send')[1]!;
      const ts = Number(post.query.get('timestamp'));
      expect(post.query.get('access_token')).toBe('tok');
      expect(post.query.get('sign')).toBe(createHmac('sha256', dingSecret).update(`${ts}\n${dingSecret}`).digest('base64'));
      const msg = JSON.parse(post.body) as { msgtype: string; markdown: { title: string; text: string } };
      expect(msg.markdown.text).toContain(`/incidents/${incidentId}`);
      expect(msg.markdown.text).not.toContain('/ack/');
      await eventually(async () => {
        expect(mailsTo('cg-oncall')).toHaveLength(1);
        expect(await deliveries(incidentId)).toContainEqual({
          kind: 'delivered',
          person_id: 'group:night-ding',
          channel: 'dingtalk',
          reason: null,
        });
      });
      await finish(handle);
    });
  });

  it("one notice goes out in two languages: each person in their own, the rest in the hospital's (the plan's locale)", async () => {
    await db.pool.query(
      `INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ('prog-lang', $1, 'h', '市第一人民医院', 'test')`,
      [JSON.stringify({ hospital: { name: '市第一人民医院', timeZone: 'Asia/Shanghai', locale: 'zh-CN' } })],
    );
    await addPerson(db.pool, { id: 'lg-l1a', displayName: '王伟', email: 'lg-l1a@hospital.test', roles: ['oncall'], locale: 'en' });
    await addPerson(db.pool, { id: 'lg-l1b', displayName: '李娜', email: 'lg-l1b@hospital.test', roles: ['oncall'] });
    await putChatChannel(db.pool, { personId: 'lg-l1b' }, { id: 'lg-l1b-wecom', kind: 'wecom', url: `${hooks.base}/wecom/lang?key=k` });
    await setAlertVia(db.pool, 'lg-l1b', 'both');
    await withWorker('lang', async ({ taskQueue }) => {
      const { handle } = await raise(taskQueue, 'prog-lang', ladder('lg'));
      await eventually(async () => {
        expect(mailsTo('lg-l1a')).toHaveLength(1);
        expect(mailsTo('lg-l1b')).toHaveLength(1);
        expect(hooks.to('/wecom/lang')).toHaveLength(1);
      }, 30_000);
      expect(mailsTo('lg-l1a')[0]!.subject).toBe('[golive SEV2] prog-lang/ICU: a go-live step failed');
      expect(mailsTo('lg-l1a')[0]!.text).toContain('What happened: a go-live step failed (1 failed step)');
      const zh = mailsTo('lg-l1b')[0]!;
      expect(zh.subject).toBe('【golive 二级（SEV2）】prog-lang/ICU：上线步骤执行失败');
      expect(zh.text).toContain('情况：上线步骤执行失败（失败步骤 1 个）');
      expect(zh.text).toMatch(/开始时间：\d{4}-\d\d-\d\d \d\d:\d\d（中国标准时间）/);
      expect(zh.html).toContain('<html lang="zh-CN">');
      expect(JSON.parse(hooks.to('/wecom/lang')[0]!.body).markdown.content).toContain('认领此事件');
      await finish(handle);
    });
  });
});
