import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Deps } from '../../api/deps';
import { createApp } from '../../api/app';
import { route } from '../../api/route';
import { healthRoute } from '../../api/routes/system';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createMailer } from '../../platform/mailer';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let db: TestDatabase;
let smtp: TestSmtp;
let server: Server;
let base: string;

const echo = route({
  method: 'post',
  path: '/v1/echo/{id}',
  summary: 'test route',
  tags: ['test'],
  roles: 'public',
  params: z.object({ id: z.string().regex(/^[a-z]+$/, 'lower-case letters only') }),
  body: z.object({ name: z.string().min(2), count: z.number().int().positive(), nested: z.object({ when: z.iso.datetime() }) }),
  responses: { 200: { description: 'echo' } },
  async handle({ body, params }) {
    return { status: 200, body: { ...body, id: params.id } };
  },
});
const boom = route({
  method: 'get',
  path: '/v1/boom',
  summary: 'fails',
  tags: ['test'],
  roles: 'public',
  responses: { 200: { description: 'never' } },
  async handle() {
    throw new Error('secret detail from a driver: patient 张伟');
  },
});

beforeAll(async () => {
  [db, smtp] = await Promise.all([freshDatabase(), startTestSmtp()]);
  const config = loadConfig({ SMTP_PORT: String(smtp.port) });
  const deps: Deps = {
    config,
    pool: db.pool,
    mailer: createMailer(config),
    logger: createLogger('silent'),
    // Temporal is down in this test: healthz must say so, not hang.
    temporal: {
      workflowService: { getSystemInfo: () => Promise.reject(Object.assign(new Error('x'), { code: 'UNAVAILABLE' })) },
    } as unknown as Deps['temporal'],
  };
  const app = createApp(deps, [healthRoute, echo, boom]);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server?.close();
  await Promise.all([db?.close(), smtp?.close()]);
});

const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body });

describe('API shell', () => {
  it('names every bad field and its rule in a 400', async () => {
    const res = await post('/v1/echo/ABC', JSON.stringify({ name: 'x', count: -1, nested: { when: 'yesterday' } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; rule: string }[]; requestId: string };
    expect(body.error).toBe('validation_failed');
    expect(body.issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual(
      ['body.count:too_small', 'body.name:too_small', 'body.nested.when:invalid_format', 'params.id:invalid_format'].sort(),
    );
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers valid input', async () => {
    const res = await post('/v1/echo/abc', JSON.stringify({ name: 'ok', count: 2, nested: { when: '2026-11-26T02:00:00Z' } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'abc', name: 'ok', count: 2, nested: { when: '2026-11-26T02:00:00Z' } });
  });

  it('refuses broken JSON and a missing content type with a 4xx, not a crash', async () => {
    const broken = await post('/v1/echo/abc', '{"name": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'entity_parse_failed' });
    const noType = await post('/v1/echo/abc', 'name=x', {});
    expect(noType.status).toBe(415);
  });

  it('hides internal errors: no stack, no message, a request id to quote', async () => {
    const res = await fetch(`${base}/v1/boom`, { headers: { 'x-request-id': 'req-12345678' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal', message: 'internal error; quote the request id', requestId: 'req-12345678' });
    expect(text).not.toContain('张伟');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers unknown routes with 404', async () => {
    const res = await fetch(`${base}/v1/nothing`);
    expect(res.status).toBe(404);
  });

  it('reports each service in /healthz: PostgreSQL and SMTP up, Temporal down -> 503', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; services: Record<string, { up: boolean; error?: string }> };
    expect(body.status).toBe('degraded');
    expect(body.services.postgres!.up).toBe(true);
    expect(body.services.smtp!.up).toBe(true);
    expect(body.services.temporal).toMatchObject({ up: false, error: 'UNAVAILABLE' });
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>>;
    };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/v1/boom', '/v1/echo/{id}']);
    expect(doc.paths['/v1/echo/{id}']!.post!.requestBody!.content['application/json']!.schema.required!.sort()).toEqual([
      'count',
      'name',
      'nested',
    ]);
  });
});
