import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/config';

interface InstallTools {
  NODE_PIN: { pkg: string; version: string; integrity: string; binarySha256: string };
  NODE_FLOOR: [number, number];
}
const read = (file: string) => readFileSync(join(projectRoot, file), 'utf8');

describe('the supported Node', () => {
  it('is the same in engines, the Dockerfile, the pinned download, @types/node and the README', async () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
    const { NODE_PIN, NODE_FLOOR } = (await import(join(projectRoot, 'scripts', 'install-tools.mjs'))) as InstallTools;
    expect(pkg.engines.node).toBe(`>=${NODE_FLOOR.join('.')}`);
    expect(NODE_FLOOR[0]).toBeGreaterThanOrEqual(22);
    const major = NODE_PIN.version.split('.')[0];
    expect(major).toBe('24');
    expect(read('Dockerfile')).toMatch(new RegExp(`^FROM node:${major}-`, 'm'));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^${major}\\.`));
    expect(NODE_PIN.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(read('README.md')).toContain(`| npm: \`${NODE_PIN.pkg}\` | ${NODE_PIN.version} | \`${NODE_PIN.binarySha256}\` |`);
  });

  it('runs every npm script that starts project code through the bootstrap', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const [name, command] of Object.entries(scripts)) {
      if (/\b(tsx|vitest)\b/.test(command) && !['test:all'].includes(name))
        expect(command, name).toMatch(/^node scripts\/bootstrap\.mjs .*-- /);
    }
  });
});
