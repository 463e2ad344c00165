/**
 * The catalogs: both locales hold the same keys with the same variables, every key is used, the
 * Chinese is Chinese and speaks the glossary's terms, and rendering code holds no sentence of
 * its own. Then an e-mail in each language, word for word.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage } from '../../api/locale';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';
import { renderMail } from '../../activities/mail/render';
import { renderPacketHtml } from '../../app/downtime-print';
import { MailMessage } from '../../activities/mail/templates';
import { catalogs, hospitalTime, locales, pickLocale, t, type MessageKey } from '../../domain/i18n';
import { whatHappened } from '../../domain/incident-words';
import { projectRoot } from '../../platform/config';

type Ast = ReturnType<IntlMessageFormat['getAst']>;
type Node = Ast[number] & { value?: unknown; options?: Record<string, { value: Ast }> };

/** Argument names and literal text of a message, through its select and plural branches. */
function walk(ast: Ast, out = { args: new Set<string>(), text: [] as string[] }) {
  for (const node of ast as Node[]) {
    if (node.type === 0) out.text.push(String(node.value));
    else if (node.type !== 7) out.args.add(String(node.value));
    for (const option of Object.values(node.options ?? {})) walk(option.value, out);
  }
  return out;
}
const parsed = (locale: (typeof locales)[number], key: MessageKey) =>
  walk(new IntlMessageFormat(catalogs[locale][key], locale, undefined, { ignoreTag: true }).getAst());
const keys = Object.keys(catalogs.en) as MessageKey[];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    // The catalogs themselves name every key: they do not count as using one.
    return /\.(ts|tsx)$/.test(name) && !/i18n[/\\](en|zh-CN|ui[/\\].*)\.ts$/.test(path) ? [readFileSync(path, 'utf8')] : [];
  });
}

/** Names a Chinese text keeps as they are: the product, codes, protocols and commands people type. */
const technicalWords =
  /golive|SEV\d|Authorization: Bearer|application\/json|JSON|Idempotency-Key|API|HTTPS|http:\/\/localhost|Cookie|npm run admin -- token issue|glv_|CSV|PDF/g;

describe('catalogs', () => {
  it('zh-CN and en hold the same keys, each a valid ICU message with the same variables', () => {
    expect(Object.keys(catalogs['zh-CN']).sort()).toEqual([...keys].sort());
    for (const key of keys) expect([...parsed('zh-CN', key).args].sort(), key).toEqual([...parsed('en', key).args].sort());
  });

  it('every key is used by the code (a literal key, or a family such as `condition.${...}`)', () => {
    const code = ['activities', 'app', 'api', 'domain', 'ui', 'workflows'].flatMap((d) => sources(join(projectRoot, d))).join('\n');
    // Template literals that build keys (`packet.form.${code}.columns`) as patterns.
    const patterns = [...code.matchAll(/`([a-zA-Z-]+\.[^`\s]*\$\{[^`\s]*)`/g)].map(
      (m) =>
        new RegExp(
          `^${m[1]!
            .split(/\$\{[^}]*\}/)
            .map((part) => part.replace(/[.*+?^()|[\]\\]/g, '\\$&'))
            .join('[A-Za-z0-9_-]+')}$`,
        ),
    );
    const unused = keys.filter((key) => !code.includes(`'${key}'`) && !code.includes(`"${key}"`) && !patterns.some((p) => p.test(key)));
    expect(unused).toEqual([]);
  });

  it('the Chinese is Chinese: no English words left in its text (codes and golive aside)', () => {
    const untranslated = keys.flatMap(
      (key) =>
        parsed('zh-CN', key)
          .text.join(' ')
          .replace(technicalWords, '')
          .match(/[A-Za-z]{3,}/g)
          ?.map((w) => `${key}: ${w}`) ?? [],
    );
    expect(untranslated).toEqual([]);
  });

  it("speaks the glossary: where the English names a term, the Chinese uses the glossary's word", () => {
    const rows = readFileSync(join(projectRoot, 'domain/i18n/glossary.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    const misses: string[] = [];
    for (const [term, zh] of rows) {
      for (const key of keys) {
        const english = parsed('en', key).text.join(' ').toLowerCase();
        if (english.includes(term!.toLowerCase()) && !parsed('zh-CN', key).text.join('').includes(zh!))
          misses.push(`${key}: ${term} -> ${zh}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('rendering code holds no sentence of its own: every word people read comes from a catalog', () => {
    for (const file of ['activities/mail/render.ts', 'activities/chat/formats.ts', 'app/downtime-print.ts']) {
      const code = readFileSync(join(projectRoot, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      const literals = [...code.matchAll(/'([^'\n]*)'|"([^"\n]*)"|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
      // Words with a space between them are a sentence; keys, codes, formats and markup are not.
      const sentences = literals.filter(
        (l) => /[A-Za-z\u4e00-\u9fff]{2,}[ ,;:][A-Za-z\u4e00-\u9fff]{2,}/.test(l.replace(/\$\{[^}]*\}/g, '')) && !/^<|^\S+$/.test(l),
      );
      expect(sentences, file).toEqual([]);
    }
  });
});

describe('formatting', () => {
  it('picks the locale of an Accept-Language header: any Chinese reads zh-CN, else en', () => {
    expect(pickLocale('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(pickLocale('zh-TW')).toBe('zh-CN');
    expect(pickLocale('en-GB,en;q=0.9')).toBe('en');
    expect(pickLocale('fr-FR,en;q=0.5,zh;q=0.7')).toBe('zh-CN');
    expect(pickLocale('de', 'zh-CN')).toBe('zh-CN');
    expect(pickLocale(undefined)).toBe('en');
    expect(pickLocale('zh;q=0,en')).toBe('en');
  });

  it('plurals and counts by ICU rules, times in the hospital zone, labelled in each language', () => {
    expect(whatHappened('comparison-critical', { differences: 1, domains: 3 }, 'en')).toBe(
      'the nightly comparison found critical differences (1 difference, 3 domains)',
    );
    expect(whatHappened('comparison-critical', { differences: 1, domains: 3 }, 'zh-CN')).toBe(
      '夜间数据一致性核对发现严重差异（差异 1 条、3 个核对域）',
    );
    expect(t('en', 'gate.name', { kind: 'exit', wave: 2 })).toBe('go/no-go gate after wave 2');
    expect(t('zh-CN', 'gate.name', { kind: 'readiness', wave: 0 })).toBe('上线准入评审');
    // 15:50 UTC is 23:50 in Shanghai (no daylight saving).
    expect(hospitalTime('2026-03-02T15:50:00Z', 'Asia/Shanghai', 'en')).toBe('2026-03-02 23:50 Asia/Shanghai');
    expect(hospitalTime('2026-03-02T15:50:00Z', 'Asia/Shanghai', 'zh-CN')).toBe('2026-03-02 23:50（中国标准时间）');
  });

  it('an incident e-mail in Chinese, word for word', () => {
    const message = MailMessage.parse({
      template: 'incident',
      audience: 'ladder',
      incidentId: '0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
      programId: 'prog-east',
      departments: ['ICU', 'LAB'],
      severity: 'sev1',
      status: 'open',
      condition: 'comparison-critical',
      counts: { mismatched: 12 },
      since: '2026-03-02T15:50:00.000Z',
      timeZone: 'Asia/Shanghai',
      level: 2,
      round: 1,
      ackToken: 'A'.repeat(43),
    });
    const mail = renderMail(message, { baseUrl: 'https://golive.hospital.test', locale: 'zh-CN' });
    expect(mail.subject).toBe('【golive 一级（SEV1）】prog-east/ICU、LAB：夜间数据一致性核对发现严重差异');
    expect(mail.text).toBe(
      [
        '您在第 2 级值班升级名单上（第 1 轮）。',
        '事件 0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
        '项目：prog-east',
        '科室：ICU、LAB',
        '级别：一级（SEV1）',
        '状态：待认领',
        '情况：夜间数据一致性核对发现严重差异（不一致记录 12 条）',
        '开始时间：2026-03-02 23:50（中国标准时间）',
        '负责人：暂无',
        '需要您：如由您处理，请认领，升级即停止。',
        '查看详情: https://golive.hospital.test/incidents/0b6f3c1e-6a8d-4c3e-9f1a-2d7c5e8b9a10',
        `认领此事件（将请您确认身份）: https://golive.hospital.test/ack/${'A'.repeat(43)}`,
        '',
        '-- golive 上线指挥系统',
        '',
      ].join('\n'),
    );
  });
});

describe('API messages follow the caller', () => {
  let db: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    db = await freshDatabase('i18napi');
    api = await startTestApi(testDeps(db.pool));
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
  });
  const call = async (path: string, init: { token?: string; body?: unknown; lang?: string; method?: string }) => {
    const res = await fetch(`${api.url}${path}`, {
      method: init.method ?? 'PUT',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.lang ? { 'accept-language': init.lang } : {}),
        'content-type': 'application/json',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return {
      status: res.status,
      json: (await res.json()) as { error: string; message: string; issues?: { path: string; rule: string; message: string }[] },
    };
  };

  it("codes stay English; the human message is in the Accept-Language, else the person's own language, else English", async () => {
    const anonymous = await call('/v1/me/locale', { body: { locale: 'en' }, lang: 'zh-CN,zh;q=0.9' });
    expect(anonymous).toMatchObject({
      status: 401,
      json: { error: 'unauthenticated', message: '请先登录，或发送 Authorization: Bearer <令牌>' },
    });
    expect((await call('/v1/me/locale', { body: { locale: 'en' } })).json.message).toBe('send Authorization: Bearer <token>, or sign in');

    const viewer = await personWithToken(db.pool, ['viewer']);
    const zh = await call('/v1/me/locale', { token: viewer.token, body: { locale: 'fr' }, lang: 'zh-CN' });
    expect(zh.status).toBe(400);
    expect(zh.json.error).toBe('validation_failed');
    expect(zh.json.issues).toEqual([{ path: 'body.locale', rule: 'invalid_value', message: expect.stringContaining('无效选项') }]);
    expect(zh.json.message).toMatch(/^body\.locale: 无效选项/);
    const plain = await call('/v1/me/locale', { token: viewer.token, body: { locale: 'fr' } });
    expect(plain.json.issues![0]!.message).toMatch(/^Invalid option/);

    // Their own language, when the request names none.
    expect((await call('/v1/me/locale', { token: viewer.token, body: { locale: 'zh-CN' } })).status).toBe(200);
    expect((await call('/v1/me/channels/x', { token: viewer.token, method: 'DELETE' })).json).toMatchObject({
      error: 'not_found',
      message: '未找到所请求的内容',
    });
    expect((await call('/v1/me/channels/x', { token: viewer.token, method: 'DELETE', lang: 'en' })).json.message).toBe(
      'no such channel of yours',
    );
  });

  it('a dependency that is down is named in words', () => {
    expect(errorMessage('zh-CN', 'dependency_unavailable', 'x', { dependency: 'postgres' })).toBe('数据库暂不可用或未及时响应，请稍后重试');
    expect(errorMessage('en', 'dependency_unavailable', 'PostgreSQL is unavailable', { dependency: 'postgres' })).toBe(
      'PostgreSQL is unavailable',
    );
  });
});

describe('the downtime packet on paper', () => {
  it('headings and forms in each language; the system records as the system wrote them; everything escaped', () => {
    const packet = {
      hospital: '市第一人民医院',
      department: 'LAB',
      emergency: 2,
      asOf: new Date('2026-03-02T15:50:00Z'),
      timeZone: 'Asia/Shanghai',
      forms: ['medication-administration-record', 'ward-handover'],
      content: { census: [{ bed: '3', name: '<b>张伟</b>' }], activeOrders: [], pendingResults: [{ test: 'K+' }, { test: 'Na+' }] },
    };
    const zh = renderPacketHtml(packet, 'zh-CN');
    expect(zh).toContain('<h1>停机应急包：LAB</h1>');
    expect(zh).toContain('市第一人民医院 · 应急 #2 · 数据截至 2026-03-02 23:50（中国标准时间）');
    expect(zh).toContain('在院患者（1 人）');
    expect(zh).toContain('在用医嘱（0 条）</h2><p>无。</p>');
    expect(zh).toContain('待出结果（2 项）');
    expect(zh).toContain('&lt;b&gt;张伟&lt;/b&gt;');
    expect(zh).toContain('<h3>给药执行记录单</h3>');
    expect(zh).toContain('<th>执行人签名</th>');
    expect(zh).toContain('<h3>表单 ward-handover</h3>');
    const en = renderPacketHtml(packet, 'en');
    expect(en).toContain('Census (1 patient)');
    expect(en).toContain('Pending results (2 results)');
    expect(en).toContain('<h3>Medication administration record</h3>');
  });
});
