/**
 * Chat channels: the three webhook formats byte for byte, what a receiver's answer means, the
 * channel rules, and the admin command line that keeps them (secrets never shown back).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatOutcome, chatRequest, dingTalkSign } from '../../activities/chat/formats';
import { chatTargetsOf, rotaChatTargets } from '../../app/chat-channels';
import { putRota } from '../../app/incidents';
import { peopleTableResolver } from '../../app/people';
import { ChatChannelInput } from '../../domain/chat';
import { adminCli } from '../helpers/admin';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { personWithToken } from '../helpers/people';
import { freshDatabase, type TestDatabase } from '../helpers/db';

const parts = {
  template: 'incident',
  subject: '[golive SEV1] prog-east/ICU: step-failed',
  lines: ['Severity: SEV1', { label: 'Details', href: 'https://golive.test/incidents/1' }],
};

describe('chat formats', () => {
  it('the generic webhook: JSON of codes and links, signed over timestamp and body, an opaque id', () => {
    const r = chatRequest(
      { kind: 'webhook', url: 'https://bridge.test/hook', secret: 's3cret-s3cret-s3cret' },
      parts,
      'incident:x/1/1/p-a',
      1_700_000_000_123,
    );
    expect(r.url).toBe('https://bridge.test/hook');
    expect(JSON.parse(r.body)).toEqual({
      id: r.headers['idempotency-key'],
      template: 'incident',
      subject: parts.subject,
      text: 'Severity: SEV1',
      links: [{ label: 'Details', href: 'https://golive.test/incidents/1' }],
    });
    expect(r.headers['x-golive-timestamp']).toBe('1700000000');
    expect(r.headers['x-golive-signature']).toBe(
      `v1=${createHmac('sha256', 's3cret-s3cret-s3cret').update(`1700000000.${r.body}`).digest('hex')}`,
    );
    expect(r.headers['idempotency-key']).not.toContain('p-a');
  });

  it('WeCom: a markdown message under 4,096 bytes, cut between characters', () => {
    const long = { ...parts, lines: Array.from({ length: 400 }, () => '双轨并行 数据一致性核对') };
    const r = chatRequest({ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', secret: null }, long, 'k', 0);
    const content = (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content.startsWith(`**${parts.subject}**\n双轨并行`)).toBe(true);
    expect(content).not.toContain('\uFFFD');
    expect(content.endsWith('...')).toBe(true);
  });

  it("DingTalk: the robot's signature in the query (base64 HMAC of timestamp and secret), links as markdown", () => {
    // The value DingTalk's documentation computes for this secret and time, by its own recipe.
    const secret = 'SECabcdef0123456789';
    expect(dingTalkSign(secret, 1_577_000_000_000)).toBe(createHmac('sha256', secret).update(`1577000000000\n${secret}`).digest('base64'));
    const r = chatRequest(
      { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret },
      parts,
      'k',
      1_577_000_000_000,
    );
    const url = new URL(r.url);
    expect(url.searchParams.get('access_token')).toBe('t');
    expect(url.searchParams.get('timestamp')).toBe('1577000000000');
    expect(url.searchParams.get('sign')).toBe(dingTalkSign(secret, 1_577_000_000_000));
    expect(JSON.parse(r.body)).toEqual({
      msgtype: 'markdown',
      markdown: { title: parts.subject, text: `#### ${parts.subject}  \nSeverity: SEV1  \n[Details](https://golive.test/incidents/1)` },
    });
  });

  it("reads the receivers' answers: sent, retry (down, rate-limited, busy), refused for good", () => {
    expect(chatOutcome('webhook', 204, '')).toBe('sent');
    expect(chatOutcome('webhook', 503, '')).toBe('retry');
    expect(chatOutcome('webhook', 429, '')).toBe('retry');
    expect(chatOutcome('webhook', 401, '')).toBe('refused');
    expect(chatOutcome('wecom', 200, '{"errcode":0,"errmsg":"ok"}')).toBe('sent');
    expect(chatOutcome('wecom', 200, '{"errcode":45009}')).toBe('retry');
    expect(chatOutcome('wecom', 200, '{"errcode":93000}')).toBe('refused');
    expect(chatOutcome('dingtalk', 200, '{"errcode":130101}')).toBe('retry');
    expect(chatOutcome('dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}')).toBe('refused');
    expect(chatOutcome('dingtalk', 200, '<html>proxy error</html>')).toBe('retry');
  });

  it('channel rules name the field and the rule', () => {
    const issues = (v: unknown) => {
      const r = ChatChannelInput.safeParse(v);
      return r.success
        ? []
        : r.error.issues.map((i) => `${i.path.join('.')}: ${(i as { params?: { rule?: string } }).params?.rule ?? i.message}`);
    };
    expect(issues({ id: 'a', kind: 'webhook', url: 'https://x.test/h' })).toEqual(['secret: webhook-needs-secret']);
    expect(issues({ id: 'a', kind: 'wecom', url: 'https://x.test/h', secret: 'x'.repeat(16) })).toEqual(['secret: wecom-has-no-secret']);
    expect(issues({ id: 'a', kind: 'dingtalk', url: 'https://u:p@x.test/h' })).toEqual(['url: no-credentials-in-url']);
    expect(issues({ id: 'a', kind: 'dingtalk', url: 'ftp://x.test/h' })).toEqual(['url: must be an http or https URL']);
    // An empty URL is refused by its format, not a crash of the credentials rule (the contract test found the 500).
    expect(issues({ id: 'a', kind: 'wecom', url: '', secret: '0'.repeat(16) })).toEqual([
      'url: must be an http or https URL',
      'secret: wecom-has-no-secret',
    ]);
  });
});

describe('chat channels in the admin command line', () => {
  const key = randomBytes(32).toString('hex');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase('chatcli');
  });
  afterAll(async () => db?.close());
  const admin = adminCli(() => db, key);

  it("keeps a person's and a rota's channels, reads secrets from the environment only, never prints them, audits each change", async () => {
    expect(
      (await admin(['person', 'add', '--id', 'p-wang', '--name', '王伟', '--email', 'wang@hospital.test', '--roles', 'oncall'])).code,
    ).toBe(0);
    expect((await admin(['person', 'alerts', '--id', 'p-wang', '--via', 'chat'])).stdout).toBe('p-wang is alerted by chat\n');
    const bad = await admin(['person', 'alerts', '--id', 'p-wang', '--via', 'pager']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--via');

    const robot = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-secret';
    expect((await admin(['channel', 'add', '--person', 'p-wang', '--id', 'wang-wecom', '--kind', 'wecom', '--url', robot])).stdout).toBe(
      'added wecom channel wang-wecom\n',
    );
    const noSecret = await admin([
      'channel',
      'add',
      '--program',
      'prog-a',
      '--rota',
      'night',
      '--id',
      'night-hook',
      '--kind',
      'webhook',
      '--url',
      'https://bridge.test/h',
    ]);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toContain('channel.secret: a generic webhook is signed');
    const signed = await admin(
      [
        'channel',
        'add',
        '--program',
        'prog-a',
        '--rota',
        'night',
        '--id',
        'night-ding',
        '--kind',
        'dingtalk',
        '--url',
        'https://oapi.dingtalk.com/robot/send?access_token=abc',
      ],
      { GOLIVE_CHAT_SECRET: 'SEC0123456789abcdef' },
    );
    expect(signed.code).toBe(0);
    // An id is global: another owner cannot take it over.
    expect((await admin(['channel', 'add', '--person', 'p-wang', '--id', 'night-ding', '--kind', 'wecom', '--url', robot])).code).not.toBe(
      0,
    );

    const listed = await admin(['channel', 'list']);
    expect(listed.stdout).toBe(
      'night-ding\tdingtalk\toapi.dingtalk.com\tenabled\tprog-a/night\nwang-wecom\twecom\tqyapi.weixin.qq.com\tenabled\tp-wang\n',
    );
    expect(listed.stdout).not.toContain('secret');

    expect(await chatTargetsOf(db.pool, ['p-wang', 'p-nobody'])).toEqual(
      new Map([['p-wang', { via: 'chat', chats: [{ channelId: 'wang-wecom', kind: 'wecom' }] }]]),
    );
    expect(await rotaChatTargets(db.pool, 'prog-a', 'night')).toEqual([{ channelId: 'night-ding', kind: 'dingtalk' }]);

    expect((await admin(['channel', 'remove', '--person', 'p-wang', '--id', 'wang-wecom'])).code).toBe(0);
    expect((await admin(['channel', 'remove', '--person', 'p-wang', '--id', 'wang-wecom'])).code).not.toBe(0);
    const { rows } = await db.pool.query<{ action: string; details: string }>(
      `SELECT action, details::text FROM audit_log WHERE action LIKE 'chat-channel.%' OR action = 'person.alerts-set' ORDER BY seq`,
    );
    expect(rows.map((r) => r.action)).toEqual(['person.alerts-set', 'chat-channel.added', 'chat-channel.added', 'chat-channel.removed']);
    expect(rows.map((r) => r.details).join()).not.toMatch(/secret|SEC0123|key=/);
  }, 60_000);
});

describe('chat channels over the API', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await freshDatabase('chatapi');
    api = await startTestApi(testDeps(db.pool));
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });

  it("a lead sets a rota's group chat, anyone sees its kind and host only; people set their own; refusals name field and rule", async () => {
    const lead = await personWithToken(db.pool, ['lead']);
    const oncall = await personWithToken(db.pool, ['oncall']);
    await putRota(
      db.pool,
      'prog-a',
      'night',
      { timeZone: 'Asia/Shanghai', shifts: [{ day: 'mon', from: '00:00', people: [oncall.personId] }] },
      'test',
    );
    const path = '/v1/programs/prog-a/rotas/night/channels/night-ding';
    expect(
      (await api.call('PUT', '/v1/programs/prog-a/rotas/nihgt/channels/x', lead.token, { kind: 'wecom', url: 'https://q.test/?key=k' }))
        .status,
    ).toBe(404);
    const body = { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'SEC0123456789abcdef' };
    expect((await api.call('PUT', path, lead.token, body)).status).toBe(201);
    const again = await api.call('PUT', path, lead.token, body);
    expect(again).toMatchObject({ status: 200, json: { id: 'night-ding', kind: 'dingtalk', host: 'oapi.dingtalk.com', enabled: true } });
    expect((await api.call('PUT', path, oncall.token, body)).status).toBe(403);

    const listed = await api.call('GET', '/v1/programs/prog-a/rotas/night/channels', oncall.token);
    expect(listed.json).toEqual({ channels: [{ id: 'night-ding', kind: 'dingtalk', host: 'oapi.dingtalk.com', enabled: true }] });
    expect(listed.text).not.toMatch(/access_token|SEC0123/);

    const bad = await api.call('PUT', '/v1/me/channels/my-hook', oncall.token, { kind: 'webhook', url: 'https://bridge.test/h' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('webhook-needs-secret');
    expect(JSON.stringify(bad.json)).toContain('secret');
    // A channel id of someone else's is not taken over.
    const taken = await api.call('PUT', '/v1/me/channels/night-ding', oncall.token, {
      kind: 'wecom',
      url: 'https://qyapi.weixin.qq.com/x?key=k',
    });
    expect(taken).toMatchObject({ status: 409, json: { error: 'channel_taken' } });

    expect(
      (await api.call('PUT', '/v1/me/channels/wang-wecom', oncall.token, { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/x?key=k' }))
        .status,
    ).toBe(201);
    expect((await api.call('PUT', '/v1/me/alerts', oncall.token, { via: 'both' })).json).toEqual({ via: 'both' });
    expect((await api.call('PUT', '/v1/me/alerts', oncall.token, { via: 'pager' })).status).toBe(400);
    expect(await chatTargetsOf(db.pool, [oncall.personId])).toEqual(
      new Map([[oncall.personId, { via: 'both', chats: [{ channelId: 'wang-wecom', kind: 'wecom' }] }]]),
    );
    expect((await api.call('DELETE', '/v1/me/channels/wang-wecom', oncall.token)).status).toBe(204);
    expect((await api.call('DELETE', '/v1/me/channels/wang-wecom', oncall.token)).status).toBe(404);
    expect((await api.call('DELETE', path, lead.token)).status).toBe(204);

    expect((await api.call('PUT', '/v1/me/locale', oncall.token, { locale: 'zh-CN' })).json).toEqual({ locale: 'zh-CN' });
    expect((await peopleTableResolver(db.pool)([oncall.personId]))[0]!.locale).toBe('zh-CN');
    const fr = await api.call('PUT', '/v1/me/locale', oncall.token, { locale: 'fr' });
    expect(fr.status).toBe(400);
    expect(JSON.stringify(fr.json)).toContain('locale');
  });
});
