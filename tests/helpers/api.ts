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

export interface ApiAnswer {
  status: number;
  text: string;
  headers: Headers;
  /** The body parsed, when it is a JSON object. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface TestApi {
  url: string;
  /** One request as a client makes it: a bearer token and a JSON body when given. */
  call(method: string, path: string, token?: string, body?: unknown): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** The real app (createApp) on a free loopback port; call with fetch(`${url}/v1/...`). */
export async function startTestApi(deps: Deps, routes?: AnyRoute[]): Promise<TestApi> {
  const app = createApp(deps, routes);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async call(method, path, token, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, text, headers: res.headers, json: text.startsWith('{') ? JSON.parse(text) : undefined };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
