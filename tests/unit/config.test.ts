import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, configKeys, loadConfig, projectRoot } from '../../platform/config';

describe('configuration', () => {
  it('has working defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ API_PORT: 3000, TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_TASK_QUEUE: 'golive-v1', SMTP_SECURE: false });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('fails fast naming every bad variable and its rule', () => {
    const bad = { API_PORT: '70000', DATABASE_URL: 'mysql://x', SMTP_SECURE: 'yes', TEMPORAL_ADDRESS: 'nohostport', LOG_LEVEL: 'loud' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (err) {
      const message = (err as Error).message;
      for (const key of Object.keys(bad)) expect(message).toContain(`${key}:`);
      expect(message).toContain('must be a postgres:// URL');
      expect(message).toContain('must be host:port');
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('is documented in the README, variable by variable', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...configKeys].sort());
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; build?: string; restart?: string; environment?: Record<string, string>; depends_on?: Record<string, unknown> | string[] }>;
  };
  const golive = ['api', 'worker', 'migrate'];

  it('runs Temporal on PostgreSQL, its Web UI, the golive processes and a mail catcher', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'mail', 'migrate', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort());
    expect(compose.services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    for (const name of golive) expect(compose.services[name]!.build).toBe('.');
  });

  it('brings every long-running service back after a crash; one-shot jobs run once', () => {
    const oneShot = ['migrate', 'temporal-setup'];
    for (const [name, svc] of Object.entries(compose.services)) expect(svc.restart, name).toBe(oneShot.includes(name) ? 'no' : 'unless-stopped');
  });

  it('gives the golive services only variables the config schema knows, and valid ones', () => {
    for (const name of golive) {
      const env = compose.services[name]!.environment!;
      for (const key of Object.keys(env)) expect(configKeys, `${name}.${key}`).toContain(key);
      const config = loadConfig(env);
      expect(config.DATABASE_URL).toMatch(/@postgresql:5432\//);
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(config.SMTP_HOST).toBe('mail');
    }
  });

  it('only depends on services it defines', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const dep of deps) expect(Object.keys(compose.services), `${name} -> ${dep}`).toContain(dep);
    }
  });

  it('registers the search attributes the workflows set', async () => {
    const { searchAttributes } = await import('../../platform/services');
    const setup = JSON.stringify(compose.services['temporal-setup']);
    for (const [name, type] of Object.entries(searchAttributes)) expect(setup).toContain(`--name ${name} --type ${type}`);
  });
});
