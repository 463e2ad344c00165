/**
 * The catalogs: both locales hold the same keys with the same variables, every key is used, the
 * Chinese is Chinese and speaks the glossary's terms, and rendering code holds no sentence of
 * its own. Then an e-mail in each language, word for word.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { renderMail } from '../../activities/mail/render';
import { MailMessage } from '../../activities/mail/templates';
import { catalogs, hospitalTime, locales, pickLocale, t, type MessageKey } from '../../domain/i18n';
import { en } from '../../domain/i18n/en';
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
const parsed = (locale: (typeof locales)[number], key: MessageKey) => walk(new IntlMessageFormat(catalogs[locale][key], locale).getAst());
const keys = Object.keys(en) as MessageKey[];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    // The catalogs themselves name every key: they do not count as using one.
    return /\.(ts|tsx)$/.test(name) && !/i18n[/\\](en|zh-CN)\.ts$/.test(path) ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('catalogs', () => {
  it('zh-CN and en hold the same keys, each a valid ICU message with the same variables', () => {
    expect(Object.keys(catalogs['zh-CN']).sort()).toEqual([...keys].sort());
    for (const key of keys) expect([...parsed('zh-CN', key).args].sort(), key).toEqual([...parsed('en', key).args].sort());
  });

  it('every key is used by the code (a literal key, or a family such as `condition.${...}`)', () => {
    const code = ['activities', 'app', 'api', 'domain', 'ui', 'workflows'].flatMap((d) => sources(join(projectRoot, d))).join('\n');
    const unused = keys.filter((key) => {
      if (code.includes(`'${key}'`) || code.includes(`"${key}"`)) return false;
      const family = key.slice(0, key.lastIndexOf('.') + 1);
      return !code.includes('`' + family + '${');
    });
    expect(unused).toEqual([]);
  });

  it('the Chinese is Chinese: no English words left in its text (codes and golive aside)', () => {
    const untranslated = keys.flatMap(
      (key) =>
        parsed('zh-CN', key)
          .text.join(' ')
          .replace(/golive|SEV\d/g, '')
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
    for (const file of ['activities/mail/render.ts', 'activities/chat/formats.ts']) {
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
