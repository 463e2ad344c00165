import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IViolation } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of .dependency-cruiser.cjs hold: an import that breaks one fails lint with the
 * rule's name. Each case is a tiny tree of its own (the rules match paths, not this repo's files).
 */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: unknown[];
  options: Record<string, unknown>;
};
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

async function violations(files: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'golive-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const { includeOnly } = config.options;
  const result = await cruise(Object.keys(files), {
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: config.forbidden } as never,
    includeOnly: includeOnly as string,
    tsPreCompilationDeps: true,
  });
  const output = result.output as { summary: { violations: IViolation[] } };
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

describe('layers', () => {
  it('a domain rule that imports the API fails as domain-is-pure', async () => {
    expect(
      await violations({ 'domain/rule.ts': "import { x } from '../api/x';\nexport const y = x;\n", 'api/x.ts': 'export const x = 1;\n' }),
    ).toEqual(['domain-is-pure: domain/rule.ts -> api/x.ts']);
  });

  it('production code that imports a dev script fails as production-not-dev', async () => {
    expect(
      await violations({
        'activities/a.ts': "import { p } from '../scripts/demo';\nexport const a = p;\n",
        'scripts/demo.ts': 'export const p = 1;\n',
      }),
    ).toEqual(['production-not-dev: activities/a.ts -> scripts/demo.ts']);
  });

  it('a workflow that imports an activity for its code (not its type) fails', async () => {
    const found = await violations({
      'workflows/w.ts': "import { act } from '../activities/a';\nexport const w = act;\n",
      'activities/a.ts': 'export const act = 1;\n',
    });
    expect(found).toEqual(['workflows-activity-types-only: workflows/w.ts -> activities/a.ts']);
    expect(
      await violations({
        'workflows/w.ts': "import type { act } from '../activities/a';\nexport type W = typeof act;\n",
        'activities/a.ts': 'export const act = 1;\n',
      }),
    ).toEqual([]);
  });

  it('two modules that import each other fail as no-circular', async () => {
    expect(
      await violations({
        'api/a.ts': "import { b } from './b';\nexport const a = b;\n",
        'api/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      }),
    ).toEqual(['no-circular: api/a.ts -> api/b.ts']);
  });

  it('the engine library never imports Temporal', async () => {
    const found = await violations({
      'compare/engine.ts': "import { Context } from '@temporalio/activity';\nexport const c = Context;\n",
      'node_modules/@temporalio/activity/package.json': '{ "name": "@temporalio/activity", "main": "index.js" }',
      'node_modules/@temporalio/activity/index.js': 'exports.Context = 1;\n',
    });
    expect(found.some((v) => v.startsWith('compare-no-temporal-express: compare/engine.ts'))).toBe(true);
  });
});
