import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMail } from '../../activities/mail/render';
import { MailMessage } from '../../activities/mail/templates';
import type { z } from 'zod';
import type { IncidentDetail as Detail, IncidentRow as Row } from '../../domain/incident-views';
import { testPlan } from '../../domain/demo-plans';
import { domainTitles } from '../../domain/program-status';
import { parsePlan } from '../../domain/plan';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { personWithToken } from '../helpers/people';
import { testDomain } from '../helpers/program';

/**
 * Issue 17: incidents name their domain, in the plan's words. The plan gives a domain a title
 * (the hospital's word); an incident keeps the domain names it is about, and the API answers
 * with the titles beside them, so the command center never shows `lab_results`.
 */
type IncidentDetail = z.infer<typeof Detail>;
type IncidentRow = z.infer<typeof Row>;

let db: TestDatabase;
let api: TestApi;
let viewer: { personId: string; token: string };
const plan = testPlan();
plan.parallelRun = {
  ...plan.parallelRun,
  domains: [
    { ...testDomain('charges'), title: '收费明细' },
    { ...testDomain('lab_results') },
    { ...testDomain('orders'), title: 'Orders «Rx»' },
  ],
};

beforeAll(async () => {
  db = await freshDatabase('incdomains');
  api = await startTestApi(testDeps(db.pool));
  viewer = await personWithToken(db.pool, ['viewer']);
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ($1, $2, 'x', 'Test', 'test')`, [
    plan.programId,
    parsePlan(plan),
  ]);
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${viewer.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

async function incident(id: string, condition: string, domains: string[]) {
  await db.pool.query(
    `INSERT INTO incidents (id, workflow_id, program_id, departments, condition, severity, status, raised_by, raised_at, domains)
     VALUES ($1, $2, $3, '{}', $4, 'sev1', 'open', 'test', now(), $5)`,
    [id, `incident:${plan.programId}:${condition}:all`, plan.programId, condition, domains],
  );
}

describe('incidents name their comparison domains in the plan’s words', () => {
  it('the plan’s titles come with the names; a domain without a title has none (the page words its name)', async () => {
    const id = '0d6f3c1e-5a7b-4c2d-8e9f-1a2b3c4d5e6f';
    await incident(id, 'comparison-critical', ['charges', 'lab_results', 'orders']);
    const detail = await get<IncidentDetail>(`/v1/incidents/${id}`);
    expect(detail.domains).toEqual(['charges', 'lab_results', 'orders']);
    expect(detail.domainTitles).toEqual({ charges: '收费明细', orders: 'Orders «Rx»' });
    const list = await get<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${plan.programId}`);
    expect(list.incidents.find((i) => i.incidentId === id)).toMatchObject({ domains: detail.domains, domainTitles: detail.domainTitles });
  });

  it('an incident of another kind names no domain', async () => {
    const id = '1e7a4d2f-6b8c-4d3e-9fa0-2b3c4d5e6f70';
    await incident(id, 'reported', []);
    expect(await get<IncidentDetail>(`/v1/incidents/${id}`)).toMatchObject({ domains: [], domainTitles: {} });
  });

  it('the program status carries the titles for its pages', () => {
    expect(domainTitles(parsePlan(plan))).toEqual({ charges: '收费明细', orders: 'Orders «Rx»' });
  });

  it('a blank title is refused by the plan, naming the field', () => {
    const bad = structuredClone(plan);
    bad.parallelRun!.domains![0]!.title = '   ';
    expect(() => parsePlan(bad)).toThrow(/parallelRun\.domains\.0\.title|title/);
  });
});

describe('an incident e-mail names its domains, by code as it does departments', () => {
  it('in both languages; a title (free text of the plan) never reaches an e-mail', () => {
    const message = {
      template: 'incident' as const,
      audience: 'ladder' as const,
      incidentId: '0d6f3c1e-5a7b-4c2d-8e9f-1a2b3c4d5e6f',
      programId: 'prog-east',
      departments: [],
      severity: 'sev1' as const,
      status: 'open' as const,
      condition: 'comparison-critical' as const,
      counts: { domains: 2, nights: 1, differences: 120 },
      domains: ['charges', 'lab_results'],
      since: '2026-03-02T15:50:00.000Z',
      timeZone: 'Asia/Shanghai',
      level: 1,
      round: 1,
    };
    const text = (locale: 'en' | 'zh-CN') => renderMail(MailMessage.parse(message), { locale, baseUrl: 'http://golive.test' }).text;
    expect(text('en')).toContain('Comparison domains: charges, lab results');
    expect(text('zh-CN')).toContain('核对域：charges、lab results');
    expect(MailMessage.safeParse({ ...message, domains: ['收费明细'] }).success).toBe(false);
    expect(MailMessage.safeParse({ ...message, domains: ['mrn-00012345'] }).success).toBe(false);
  });
});
