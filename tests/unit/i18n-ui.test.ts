/**
 * The command center holds no words of its own: every word a person reads on a page comes from
 * the catalogs (domain/i18n) through useWords().t. The scan parses every .ts/.tsx file under ui/
 * with the TypeScript compiler and reports JSX text with letters, user-facing attributes and
 * properties (title, aria-label, placeholder, alt, label, header, …) given as literal strings, and
 * any other string literal that reads as words (two words with a space between, or Chinese).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../domain/i18n';
import { after, duration, pct } from '../../ui/components/format';
import { projectRoot } from '../../platform/config';

const uiDir = join(projectRoot, 'ui');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** Attributes and properties whose string is read by a person (or a screen reader). */
const userFacing = new Set([
  'title',
  'aria-label',
  'placeholder',
  'alt',
  'label',
  'confirmLabel',
  'header',
  'hint',
  'empty',
  'caption',
  'text',
]);

/**
 * Text that stays as it is in every language, each with why:
 * - golive: the product's name.
 * - English, 中文: the language menu names each language in itself, so that a reader finds theirs.
 * - CSV: a file format's code, the link's own words are in its aria-label.
 * - glv_…: the shape of an API token (a code people type), as the sign-in field's placeholder.
 * - useProgram outside ProgramFrame, useSession outside a signed-in page: programming errors thrown
 *   to the developer, never a page's text.
 */
const allowed = new Set([
  'golive',
  'English',
  '中文',
  'CSV',
  'glv_…',
  'useProgram outside ProgramFrame',
  'useSession outside a signed-in page',
]);
/** A catalog key names words, it is none itself (a table's rows may name their label's key). */
const isKey = (s: string) => s in catalogs.en;

const hasLetters = (s: string) => /[A-Za-z\u4e00-\u9fff]/.test(s);
/** Words a person reads: Chinese, or two Latin words with a space between (class lists and paths aside). */
const readsAsWords = (s: string) => /[\u4e00-\u9fff]/.test(s) || /(^|[^-\w/.])[A-Za-z]{2,}[,;:.!?’']?\s+[A-Za-z]{2,}/.test(s);

interface Finding {
  file: string;
  line: number;
  text: string;
}

/** The attribute or property a literal is the value of, if any. */
function ownerName(node: ts.Node): string | undefined {
  let parent = node.parent;
  if (parent && ts.isJsxExpression(parent)) parent = parent.parent;
  if (parent && ts.isJsxAttribute(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent) && parent.initializer === node) return parent.name.getText().replace(/['"]/g, '');
  return undefined;
}

/** `class="…"` and friends: styling hooks, not words. */
const isStyling = (name: string | undefined) => name === 'class' || name === 'className' || name === 'rel' || name === 'type';

function scan(path: string, text = readFileSync(path, 'utf8')): Finding[] {
  // A .ts file is no JSX: `<T>` there is a type argument.
  const source = ts.createSourceFile(
    path,
    text,
    ts.ScriptTarget.Latest,
    true,
    path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found: Finding[] = [];
  const report = (node: ts.Node, text: string) => {
    if (allowed.has(text.trim())) return;
    found.push({
      file: relative(projectRoot, path),
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      text: text.trim(),
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isJsxText(node)) {
      if (hasLetters(node.text)) report(node, node.text);
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const name = ownerName(node);
      if (isStyling(name) || isKey(node.text)) return;
      if ((name && userFacing.has(name) && hasLetters(node.text)) || readsAsWords(node.text)) report(node, node.text);
    } else if (ts.isTemplateExpression(node)) {
      const name = ownerName(node);
      if (isStyling(name)) return;
      const literal = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
      if ((name && userFacing.has(name) && hasLetters(literal)) || readsAsWords(literal)) report(node, node.getText());
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('command center words', () => {
  const scanned = files(uiDir);

  it('has no user-facing literal text outside the catalogs in ui/', () => {
    expect(scanned.length).toBeGreaterThan(20);
    expect(scanned.flatMap((f) => scan(f))).toEqual([]);
  });

  it('the scan finds what it is for: JSX text, a label attribute, a label property, a sentence, Chinese', () => {
    const probe = [
      "import { t } from './i18n';",
      'export const A = (n: number) => (',
      '  <section class="compact auto-width" aria-label={t(\'ui.x\')}>',
      '    <button type="button">Decide now</button>',
      '    <button title="Close the dialog">×</button>',
      "    <Field field={{ name: 'reason', label: 'Reason (kept)' }} />",
      "    <p>{n > 1 ? 'the gate is open' : '—'} {'待决策'} {`${n} nights compared`} {`/v1/programs/${n}`} {'golive'}</p>",
      '  </section>',
      ');',
    ].join('\n');
    const texts = scan(join(uiDir, 'probe.tsx'), probe).map((f) => f.text);
    expect(texts).toEqual(['Decide now', 'Close the dialog', 'Reason (kept)', 'the gate is open', '待决策', '`${n} nights compared`']);
  });
});

describe('units for the locale', () => {
  it('durations in catalog units, percentages as the locale writes them', () => {
    expect([40_000, 12 * 60_000, 65 * 60_000, 51 * 3_600_000].map((ms) => duration(ms, 'en'))).toEqual([
      '40 s',
      '12 min',
      '1 h 05 min',
      '2 d 3 h',
    ]);
    expect([40_000, 12 * 60_000, 65 * 60_000, 51 * 3_600_000].map((ms) => duration(ms, 'zh-CN'))).toEqual([
      '40 秒',
      '12 分钟',
      '1 小时 05 分钟',
      '2 天 3 小时',
    ]);
    expect(after('2026-03-02T15:50:00Z', '2026-03-02T16:55:00Z', 'zh-CN')).toBe('+1 小时 05 分钟');
    // A clock running backwards (a late event recorded early) is no negative duration.
    expect(duration(-5000, 'en')).toBe('0 s');
    expect(pct(0.012345, 'en', 3)).toBe('1.235%');
    expect(pct(0.012345, 'zh-CN', 3)).toBe('1.235%');
    expect(pct(null, 'zh-CN')).toBe('—');
  });
});
