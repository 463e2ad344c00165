import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoute } from '../../api/routes/system';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
let api: TestApi;
beforeAll(async () => {
  db = await freshDatabase('ui');
  api = await startTestApi(testDeps(db.pool), [{ ...healthRoute, handle: async () => ({ status: 200, body: { status: 'ok' } }) }]);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

describe('the command center is served by the API process', () => {
  it('sends the page shell for page paths, with a strict content security policy and no referrer', async () => {
    for (const path of [
      '/',
      '/programs/demo-program',
      '/programs/demo-program/gates/readiness',
      '/incidents/inc-1',
      '/audit',
      '/sign-in',
      '/my-tasks',
      '/programs/demo-program/runbooks/night-1/report',
    ]) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await res.text();
      expect(html).toContain('<script defer src="/ui/app.js"></script>');
      expect(html).not.toMatch(/<script>/);
    }
    // API paths keep their JSON errors.
    const missing = await fetch(`${api.url}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('bundles the page once and serves it with an ETag (304 when unchanged)', async () => {
    const js = await fetch(`${api.url}/ui/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    const body = await js.text();
    expect(body.length).toBeGreaterThan(10_000);
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${api.url}/ui/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const css = await fetch(`${api.url}/ui/app.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await css.text()).toContain('.emergency-banner');
  });
});
