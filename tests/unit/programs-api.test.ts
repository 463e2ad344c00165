import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programRoutes } from '../../api/routes/programs';
import { testPlan } from '../../domain/demo-plans';
import type { Role } from '../../domain/people';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';

// Auth and validation come before any use of Temporal: testDeps' Temporal stand-in throws if
// a refused request ever reached it.
let db: TestDatabase;
let api: TestApi;
const tokens: Partial<Record<Role, string>> = {};

beforeAll(async () => {
  db = await freshDatabase('programs_api');
  api = await startTestApi(testDeps(db.pool));
  for (const role of ['admin', 'lead', 'oncall', 'leadership', 'viewer'] as Role[])
    tokens[role] = (await personWithToken(db.pool, [role])).token;
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const call = (method: string, path: string, role?: Role, body?: unknown) =>
  fetch(
    `${api.url}${path.replace('{programId}', 'prog-1').replace('{gate}', 'readiness').replace('{department}', 'ICU').replace('{wave}', '1')}`,
    {
      method: method.toUpperCase(),
      headers: { 'content-type': 'application/json', ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );

describe('program routes: roles', () => {
  for (const r of programRoutes) {
    if (r.roles === 'public') continue;
    const allowed = r.roles;
    const refused = (['admin', 'lead', 'oncall', 'leadership', 'viewer'] as Role[]).filter((x) => !allowed.includes(x));
    it(`${r.method.toUpperCase()} ${r.path}: 401 without a token, 403 naming the roles for ${refused.join(', ') || 'nobody'}`, async () => {
      const anonymous = await call(r.method, r.path, undefined, r.method === 'get' ? undefined : {});
      expect(anonymous.status).toBe(401);
      for (const role of refused) {
        const res = await call(r.method, r.path, role, r.method === 'get' ? undefined : {});
        expect(res.status, role).toBe(403);
        const body = (await res.json()) as { error: string; missingRoles: string[] };
        expect(body.error).toBe('forbidden');
        expect(body.missingRoles.sort()).toEqual([...allowed].sort());
      }
    });
  }
});

describe('program routes: validation names the field and the rule', () => {
  it('refuses a plan breaking cross-field rules, naming each, and starts nothing', async () => {
    const plan = testPlan();
    plan.waves[1]!.departments.push('LAB');
    plan.gates.readiness.rule = { kind: 'quorum', required: 5 };
    plan.hospital.timeZone = 'Mars/Olympus';
    delete plan.departments[1]!.steps![0]!.compensation;
    const res = await call('post', '/v1/programs', 'lead', plan);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; rule: string }[] };
    expect(body.issues.map((i) => `${i.path} ${i.rule}`).sort()).toEqual(
      [
        'body.departments.1.steps.0.compensation step-without-compensation',
        'body.gates.readiness.rule.required quorum-exceeds-approvers',
        'body.hospital.timeZone bad-time-zone',
        'body.waves.1.departments.4 department-in-two-waves',
      ].sort(),
    );
    expect((await db.pool.query('SELECT count(*)::int AS n FROM program')).rows[0].n).toBe(0);
  });

  it('names bad path parameters and bodies', async () => {
    const badGate = await fetch(`${api.url}/v1/programs/prog-1/gates/exit-0/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.leadership}` },
      body: JSON.stringify({ decision: 'maybe', override: { reason: '' } }),
    });
    expect(badGate.status).toBe(400);
    const issues = ((await badGate.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(issues).toEqual(['body.decision', 'body.override.reason', 'params.gate']);

    const badEvidence = await call('post', '/v1/programs/{programId}/evidence', 'lead', {
      evidence: { uat: { severeTotal: 3, severeFixed: 4, ordinaryTotal: 1, ordinaryFixed: 1 }, backup: { takenAt: 'yesterday' } },
    });
    expect(badEvidence.status).toBe(400);
    const ev = ((await badEvidence.json()) as { issues: { path: string; rule: string }[] }).issues.map((i) => `${i.path} ${i.rule}`).sort();
    expect(ev).toEqual(['body.evidence.backup.takenAt invalid_format', 'body.evidence.uat.severeFixed fixed-exceeds-total']);

    const badWave = await fetch(`${api.url}/v1/programs/Prog 1/waves/0/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.lead}` },
      body: '{}',
    });
    expect(badWave.status).toBe(400);
    expect(((await badWave.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual([
      'params.programId',
      'params.wave',
    ]);
  });

  it('documents every program route in OpenAPI with its roles and the bearer scheme', async () => {
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security: unknown[]; description: string }>>;
    };
    for (const r of programRoutes) {
      const op = doc.paths[r.path]![r.method]!;
      expect(op.security, r.path).toEqual([{ bearer: [] }]);
      expect(op.description).toBe(`Roles: ${(r.roles as string[]).join(', ')}.`);
    }
  });

  it('answers 404 for a program that does not exist', async () => {
    const res = await call('get', '/v1/programs/{programId}', 'viewer');
    expect(res.status).toBe(404);
  });
});
