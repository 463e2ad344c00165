import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, configKeys, loadConfig, projectRoot } from '../../platform/config';

describe('configuration', () => {
  it('has working defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      API_PORT: 3000,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_TASK_QUEUE: 'golive-v1',
      SMTP_SECURE: false,
    });
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

  it('refuses the crash fault of the API outside tests', () => {
    expect(loadConfig({ NODE_ENV: 'test', TEST_CRASH_API_AFTER_UPDATE: 'true' }).TEST_CRASH_API_AFTER_UPDATE).toBe(true);
    for (const NODE_ENV of ['production', 'development']) {
      expect(() => loadConfig({ NODE_ENV, AUDIT_HMAC_KEY: 'ab'.repeat(32), TEST_CRASH_API_AFTER_UPDATE: 'true' }), NODE_ENV).toThrow(
        /TEST_CRASH_API_AFTER_UPDATE: only with NODE_ENV=test/,
      );
    }
    expect(loadConfig({}).TEST_CRASH_API_AFTER_UPDATE).toBe(false);
  });

  it('is documented in the README, variable by variable', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...configKeys].sort());
  });
});

describe('docker-compose.yml', () => {
  // Compose's ${VAR:?message} takes the value from the operator's .env; here, a made-up key.
  const composeText = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8').replace(
    /\$\{AUDIT_HMAC_KEY:\?[^}]*\}/g,
    'ab'.repeat(32),
  );
  const compose = parse(composeText, { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string;
        restart?: string;
        environment?: Record<string, string>;
        depends_on?: Record<string, unknown> | string[];
      }
    >;
  };
  const golive = ['api', 'worker', 'migrate'];

  it('runs Temporal on PostgreSQL, its Web UI, the golive processes and a mail catcher', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['api', 'mail', 'migrate', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
    expect(compose.services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    for (const name of golive) expect(compose.services[name]!.build).toBe('.');
  });

  it('brings every long-running service back after a crash; one-shot jobs run once', () => {
    const oneShot = ['migrate', 'temporal-setup'];
    for (const [name, svc] of Object.entries(compose.services))
      expect(svc.restart, name).toBe(oneShot.includes(name) ? 'no' : 'unless-stopped');
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

  it('registers exactly the search attributes the workflows set, with their types', async () => {
    const { searchAttributeRegistrations } = await import('../../domain/search-attributes');
    const setup = JSON.stringify(compose.services['temporal-setup']);
    const registered = [...setup.matchAll(/search-attribute create --name (\w+) --type (\w+)/g)].map((m) => [m[1], m[2]]);
    expect(registered).toEqual(searchAttributeRegistrations());
    expect(Object.fromEntries(registered)).toMatchObject({ GoliveDepartment: 'KeywordList' });
    // A deployment that registered it as a single Keyword gets it removed first (create cannot change a type).
    expect(setup).toContain(
      "grep -Eq '^ *GoliveDepartment +Keyword *$$'; then temporal operator search-attribute remove --name GoliveDepartment --yes; fi;",
    );
  });
});

describe('audit checkpoint key', () => {
  it('is required in production, and must be 32 bytes or more', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUDIT_HMAC_KEY: required in production/);
    expect(() => loadConfig({ AUDIT_HMAC_KEY: 'abcd' })).toThrow(/AUDIT_HMAC_KEY: must be at least 32 bytes/);
    expect(loadConfig({ NODE_ENV: 'production', AUDIT_HMAC_KEY: 'ab'.repeat(32) }).AUDIT_HMAC_KEY).toBe('ab'.repeat(32));
    expect(loadConfig({ AUDIT_HMAC_KEY: Buffer.alloc(32, 7).toString('base64') }).AUDIT_HMAC_KEY).toBeDefined();
  });
});
