import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createApp } from '../../api/app';
import type { Deps } from '../../api/deps';
import type { AnyRoute } from '../../api/route';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import type { Mailer } from '../../platform/mailer';

/** A stand-in for a client the routes under test never touch: any use fails loudly, naming it. */
function untouchable<T>(what: string): T {
  return new Proxy(
    {},
    {
      get: (_t, prop) => {
        throw new Error(`this test gave the API no ${what} (it used .${String(prop)})`);
      },
    },
  ) as T;
}

/**
 * Deps for API tests: the real pool, a silent logger, default config, no token cache (so a
 * revocation shows at once), and stand-ins for Temporal and SMTP unless the test passes real ones.
 */
export function testDeps(pool: Pool, overrides: Partial<Deps> = {}): Deps {
  return {
    // 'test': the audit checkpoint key is this process's own, never a file under .data/.
    config: loadConfig({ NODE_ENV: 'test' }),
    pool,
    temporal: untouchable<Client>('Temporal client'),
    mailer: untouchable<Mailer>('mailer'),
    logger: createLogger('silent'),
    authCacheMs: 0,
    ...overrides,
  };
}

export interface TestApi {
  url: string;
  close(): Promise<void>;
}

/** The real app (createApp) on a free loopback port; call with fetch(`${url}/v1/...`). */
export async function startTestApi(deps: Deps, routes?: AnyRoute[]): Promise<TestApi> {
  const app = createApp(deps, routes);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
