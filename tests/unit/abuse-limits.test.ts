import { createHash, randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAckToken } from '../../app/ack-tokens';
import { jsonDepth, maxBodyBytes, maxBodyDepth } from '../../api/body';
import { hstsValue } from '../../api/headers';
import { PG_INT_MAX } from '../../api/route';
import { testPlan } from '../../domain/demo-plans';
import { canonicalJson } from '../../platform/audit';
import { loadConfig } from '../../platform/config';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

// Every refusal here must come before Temporal: the stand-in below records what reached it, and
// testDeps' default one throws on any use.
let db: TestDatabase;
let api: TestApi;
const reached: string[] = [];
const people: Record<'lead' | 'oncall' | 'viewer', { personId: string; token: string }> = {} as never;

const fakeTemporal = {
  workflow: {
    start: async (name: string) => {
      reached.push(`start ${name}`);
      return {};
    },
  },
} as unknown as Client;

beforeAll(async () => {
  db = await freshDatabase('abuse');
  api = await startTestApi(testDeps(db.pool, { temporal: fakeTemporal }));
  for (const role of ['lead', 'oncall', 'viewer'] as const) people[role] = await personWithToken(db.pool, [role]);
  const plan = testPlan();
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'Test', 'test')`, [
    plan.programId,
    plan,
  ]);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const call = (method: string, path: string, opts: { token?: string; body?: string | unknown; headers?: Record<string, string> } = {}) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('JSON bodies: size and depth are checked before anything reads them', () => {
  it('counts nesting on the raw text, skipping strings and escaped quotes', () => {
    expect(jsonDepth(Buffer.from('{"a":[1,{"b":[]}]}'))).toBe(4);
    expect(jsonDepth(Buffer.from('{"a":"[[[[{{{{\\"[[[["}'))).toBe(1);
    expect(jsonDepth(Buffer.from(nested(5000)), 40)).toBe(41);
  });

  it('answers 401 to an unauthenticated 5,000-deep body with an Idempotency-Key, and stores nothing', async () => {
    const res = await call('POST', '/v1/incidents', { body: nested(5000), headers: { 'idempotency-key': 'deep-1' } });
    expect(res.status).toBe(401);
    expect((await res.json()) as object).toMatchObject({ error: 'unauthenticated' });
    expect((await db.pool.query('SELECT 1 FROM idempotency_keys')).rowCount).toBe(0);
  });

  it('answers 400 naming the rule to a too-deep body, signed in or on the public sign-in, before hashing it for the Idempotency-Key', async () => {
    for (const [path, token, body] of [
      ['/v1/incidents', people.lead.token, nested(5000)],
      ['/v1/incidents', people.lead.token, deepObject(maxBodyDepth + 1)],
      ['/v1/session', undefined, `{"token":${nested(5000)}}`],
    ] as const) {
      const res = await call('POST', path, { token, body, headers: { 'idempotency-key': `deep-${randomBytes(3).toString('hex')}` } });
      expect(res.status, path).toBe(400);
      expect((await res.json()) as object).toMatchObject({ error: 'body_too_deep', rule: 'max-depth', maxDepth: maxBodyDepth });
    }
    expect((await db.pool.query('SELECT 1 FROM idempotency_keys')).rowCount).toBe(0);
    // At the limit the body is parsed and judged by the route's schema as usual.
    const atLimit = await call('POST', '/v1/incidents', {
      token: people.lead.token,
      body: `{"programId":"test-program","severity":"sev2","counts":${deepObject(maxBodyDepth - 2)}}`,
    });
    expect(atLimit.status).toBe(400);
    expect((await atLimit.json()) as object).toMatchObject({ error: 'validation_failed' });
  });

  it('answers 413 to a body over the size limit', async () => {
    const res = await call('POST', '/v1/incidents', {
      token: people.lead.token,
      body: JSON.stringify({ programId: 'x'.repeat(maxBodyBytes) }),
    });
    expect(res.status).toBe(413);
  });

  it('keeps no Idempotency-Key for the public sign-in: its answer carries a CSRF token', async () => {
    const body = { token: people.viewer.token };
    const first = await call('POST', '/v1/session', { body, headers: { 'idempotency-key': 'signin-1' } });
    const second = await call('POST', '/v1/session', { body, headers: { 'idempotency-key': 'signin-1' } });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(((await first.json()) as { csrfToken: string }).csrfToken).not.toBe(((await second.json()) as { csrfToken: string }).csrfToken);
    expect((await db.pool.query('SELECT 1 FROM idempotency_keys')).rowCount).toBe(0);
  });

  it('hashes a body at the depth limit without trouble (the walk the limit protects)', () => {
    expect(() => canonicalJson(JSON.parse(deepObject(maxBodyDepth)))).not.toThrow();
  });
});

describe('integer path and query parameters stay in range', () => {
  it('answers 400 naming the parameter for an emergency number past PostgreSQL integer, 404 at its edge', async () => {
    const over = await call('GET', `/v1/programs/test-program/emergencies/${PG_INT_MAX + 1}/packets/ICU`, { token: people.lead.token });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { issues: { path: string; rule: string }[] }).issues).toEqual([
      expect.objectContaining({ path: 'params.emergency', rule: 'too_big' }),
    ]);
    const edge = await call('GET', `/v1/programs/test-program/emergencies/${PG_INT_MAX}/packets/ICU`, { token: people.lead.token });
    expect(edge.status).toBe(404);
  });

  it.each([
    ['/v1/programs/test-program/emergencies/99999999999999999999/packets/ICU', 'params.emergency'],
    ['/v1/programs/test-program/emergencies/1e400/packets/ICU', 'params.emergency'],
    ['/v1/programs/test-program/migration-verifications/2147483648', 'params.n'],
    ['/v1/audit?after=10000000000000000000', 'query.after'],
    ['/v1/audit?before=-1', 'query.before'],
    ['/v1/incidents?limit=501', 'query.limit'],
  ])('%s: 400 naming %s', async (path, field) => {
    const res = await call('GET', path, { token: people.lead.token });
    expect(res.status).toBe(400);
    expect([...new Set(((await res.json()) as { issues: { path: string }[] }).issues.map((i) => i.path))]).toEqual([field]);
  });

  it('documents a maximum for every numeric path and query parameter', async () => {
    const doc = (await (await call('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { type?: string; maximum?: number } }[] }>>;
    };
    const numeric = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.values(ops).flatMap((op) =>
        (op.parameters ?? [])
          .filter((p) => p.schema.type === 'integer' || p.schema.type === 'number')
          .map((p) => ({ at: `${path} ${p.in}.${p.name}`, max: p.schema.maximum })),
      ),
    );
    expect(numeric.length).toBeGreaterThan(3);
    for (const p of numeric) expect(p.max, p.at).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    for (const p of numeric.filter((x) => x.at.includes(' path.'))) expect(p.max, p.at).toBeLessThanOrEqual(PG_INT_MAX);
  });
});

describe('the test e-mail goes only to people in the directory', () => {
  it('refuses an outside address and a disabled person, naming the field and the rule, and starts nothing', async () => {
    const disabled = await personWithToken(db.pool, ['viewer']);
    await db.pool.query('UPDATE people SET disabled = true WHERE id = $1', [disabled.personId]);
    for (const to of ['someone@elsewhere.example', `${disabled.personId}@hospital.test`]) {
      const res = await call('POST', '/v1/notifications/test', { token: people.lead.token, body: { to } });
      expect(res.status, to).toBe(400);
      expect(((await res.json()) as { issues: unknown[] }).issues).toEqual([
        expect.objectContaining({ path: 'body.to', rule: 'not-in-directory' }),
      ]);
    }
    expect(reached).toEqual([]);
  });

  it('sends to a person of the directory, whatever the case of the address', async () => {
    const res = await call('POST', '/v1/notifications/test', {
      token: people.lead.token,
      body: { to: `${people.viewer.personId}@Hospital.TEST` },
    });
    expect(res.status).toBe(202);
    expect(reached).toEqual(['start testNotificationWorkflow']);
  });
});

describe('incidents only for departments of the plan', () => {
  it('refuses an unknown department, naming its position and the rule', async () => {
    const res = await call('POST', '/v1/incidents', {
      token: people.oncall.token,
      body: { programId: 'test-program', departments: ['ICU', 'NOPE', 'LAB', 'XRAY'], severity: 'sev2' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; rule: string }[] };
    expect(body.issues.map((i) => `${i.path}:${i.rule}`)).toEqual([
      'body.departments.1:department-not-in-plan',
      'body.departments.3:department-not-in-plan',
    ]);
  });
});

describe('an acknowledge link works only for the person it was sent to', () => {
  it('answers 403 to anyone else, pointing at the incident page, and leaves the link usable', async () => {
    const incidentId = '8e0a3f5e-1b7c-4d3a-9c1e-2f4b5a6c7d8e';
    await db.pool.query(
      `INSERT INTO incidents (id, workflow_id, program_id, departments, condition, severity, status, raised_by, raised_at)
       VALUES ($1, 'incident:test-program:reported:ICU', 'test-program', '{ICU}', 'reported', 'sev2', 'open', 'test', now())`,
      [incidentId],
    );
    const token = randomBytes(32).toString('base64url');
    await db.pool.query(
      `INSERT INTO incident_ack_tokens (token_hash, notice_key, incident_id, person_id, expires_at) VALUES ($1, 'n1', $2, $3, now() + interval '1 hour')`,
      [hashAckToken(token), incidentId, people.oncall.personId],
    );
    for (const other of [people.lead, people.viewer]) {
      const res = await call('POST', `/ack/${token}`, { token: other.token });
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: string; message: string; incidentId: string };
      expect(body).toMatchObject({ error: 'ack_link_not_yours', incidentId });
      expect(body.message).toContain(`/incidents/${incidentId}`);
    }
    const { rows } = await db.pool.query('SELECT used_at FROM incident_ack_tokens WHERE token_hash = $1', [hashAckToken(token)]);
    expect(rows[0]).toEqual({ used_at: null });
    // The refusals are in the audit trail under the link's hash, never the token (each after its
    // intent entry, written before the handler acts).
    const trail = await db.pool.query<{ result: string; target: { token: string } }>(
      `SELECT result, target FROM audit_log WHERE action = 'POST /ack/{token}' AND result <> 'started'`,
    );
    expect(trail.rows.map((r) => r.result)).toEqual(['403', '403']);
    expect(trail.rows[0]!.target.token).toBe(`sha256:${createHash('sha256').update(token).digest('hex')}`);
  });
});

describe('security headers on API answers as on the page', () => {
  it('sends nosniff and no-store on JSON answers, refusals and the OpenAPI document, and no HSTS over plain http', async () => {
    for (const [path, token] of [
      ['/v1/incidents', people.viewer.token],
      ['/v1/incidents', undefined],
      ['/v1/nothing-here', undefined],
      ['/openapi.json', undefined],
    ] as const) {
      const res = await call('GET', path, { token });
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('sends HSTS when the deployment is on https, or the request came over https through a trusted proxy', async () => {
    const https = await startTestApi(testDeps(db.pool, { config: loadConfig({ PUBLIC_BASE_URL: 'https://golive.hospital.example' }) }));
    const proxied = await startTestApi(testDeps(db.pool, { config: loadConfig({ TRUST_PROXY: 'loopback' }) }));
    try {
      expect((await fetch(`${https.url}/openapi.json`)).headers.get('strict-transport-security')).toBe(hstsValue);
      const viaProxy = await fetch(`${proxied.url}/openapi.json`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(viaProxy.headers.get('strict-transport-security')).toBe(hstsValue);
      // The same header from a client when no proxy is trusted proves nothing.
      const untrusted = await fetch(`${api.url}/openapi.json`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(untrusted.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await Promise.all([https.close(), proxied.close()]);
    }
  });
});

describe('the OpenAPI document names every status the shell can answer', () => {
  it('lists 503 and 429 on every route, 400 and 413 where a body is read, and 202 on Updates', async () => {
    const doc = (await (await call('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses);
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['429', '503']));
        if (method !== 'get') expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413']));
      }
    }
    expect(Object.keys(doc.paths['/v1/programs/{programId}/gates/{gate}/decisions']!.post!.responses)).toContain('202');
    expect(Object.keys(doc.paths['/v1/incidents/{incidentId}/acknowledge']!.post!.responses)).toContain('202');
  });
});
