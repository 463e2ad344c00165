import { expect } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { PlanInput } from '../../domain/plan';
import type { ProgramStatus } from '../../domain/rollout';
import { passingEvidence } from './complete';
import { uniqueSuffix } from './temporal';

/** The readiness gate decided by one approver, so that a single "go" in the page moves the program on. */
export const oneApprover = (p: PlanInput) => {
  p.gates.readiness = { ...p.gates.readiness, rule: { kind: 'quorum', required: 1 } };
};

/**
 * What the command-center browser tests do through the API beside the page: calls, the program's
 * status, a new program from the test plan, the readiness gate opened with passing evidence.
 * `at` gives the stack's URL and the lead's headers once beforeAll has made them.
 */
export function programDriver(at: () => { url: string; lead: Record<string, string> }, idPrefix: string) {
  let counter = 0;
  const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${at().url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const status = async (programId: string) => (await api('GET', `/v1/programs/${programId}`, at().lead)).body as unknown as ProgramStatus;
  return {
    api,
    status,
    async newProgram(edit: (p: PlanInput) => void = () => undefined): Promise<string> {
      const plan = testPlan();
      plan.programId = `${idPrefix}-${++counter}-${uniqueSuffix()}`;
      edit(plan);
      const created = await api('POST', '/v1/programs', at().lead, plan);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return plan.programId;
    },
    async openReadinessGate(programId: string) {
      const evidence = await api('POST', `/v1/programs/${programId}/evidence`, at().lead, { evidence: passingEvidence() });
      expect(evidence.status, JSON.stringify(evidence.body)).toBe(200);
      const opened = await api('POST', `/v1/programs/${programId}/gates/readiness/requests`, at().lead, {});
      expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    },
  };
}
