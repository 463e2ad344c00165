import { expect } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { PlanInput } from '../../domain/plan';
import type { ProgramStatus } from '../../domain/rollout';
import { passingEvidence } from './evidence';

// Kept in a module without vitest, so that the load benchmark (bench/load.ts) takes it too.
export { passingEvidence };

type Headers = Record<string, string>;

/** testPlan() with the shortest durations, so that its whole life cycle takes seconds. */
export function quickPlan(programId: string): PlanInput {
  const plan = testPlan();
  plan.programId = programId;
  for (const w of plan.waves) w.minimumDuration = 'PT1S';
  plan.parallelRun = { minimumDuration: 'PT1S' };
  return plan;
}

/**
 * Takes a started quickPlan program to `completed` through the API, as the lead and leadership
 * would: evidence and gates, each wave going live, the final gate (all three approvers), complete.
 */
export async function completeProgram(o: {
  url: string;
  programId: string;
  lead: Headers;
  viewer: Headers;
  approvers: [Headers, Headers, Headers];
}) {
  const base = `${o.url}/v1/programs/${o.programId}`;
  const post = async (path: string, who: Headers, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: who, body: JSON.stringify(body) });
    expect(res.status, `${path}: ${await res.text()}`).toBe(200);
  };
  const status = async () => (await (await fetch(base, { headers: o.viewer })).json()) as ProgramStatus;
  const pass = async (gate: string, approvers: Headers[]) => {
    await post('/evidence', o.lead, { evidence: passingEvidence() });
    await post(`/gates/${gate}/requests`, o.lead, {});
    for (const a of approvers) await post(`/gates/${gate}/decisions`, a, { decision: 'go' });
  };
  await pass('readiness', o.approvers.slice(0, 2));
  for (const wave of [1, 2, 3]) {
    await post(`/waves/${wave}/start`, o.lead, {});
    await expect.poll(async () => (await status()).waves[wave - 1]!.status, { timeout: 60_000, interval: 500 }).toBe('live');
    await new Promise((r) => setTimeout(r, 1100));
    await pass(`exit-${wave}`, o.approvers.slice(0, 2));
  }
  await pass('final', o.approvers);
  await post('/complete', o.lead, { comment: 'legacy retired' });
  expect((await status()).phase).toBe('completed');
}
