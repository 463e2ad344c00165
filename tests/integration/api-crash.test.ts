import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passingEvidence } from '../helpers/complete';
import { testPlan } from '../../domain/demo-plans';
import type { GateView, ProgramStatus } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';
import { uniqueSuffix } from '../helpers/temporal';

/**
 * The API process dies between a program Update and its answer (kill -9 of itself, at the point
 * TEST_CRASH_API_AFTER_UPDATE marks in api/routes/programs.ts): the decision is made, its answer
 * is lost, its Idempotency-Key is still claimed by the dead process. The client retries the same
 * request with the same key against a new API process: the Idempotency-Key is the Update's id,
 * so Temporal hands back the first Update's result and the program holds one decision (one row,
 * one audit entry, one accepted Update in the workflow's history).
 *
 * The crash matrix (crash-matrix.test.ts) kills the worker, never the API: this point is not
 * covered there. The domain alone would also hide a second Update here (the same approver saying
 * the same thing again is "unchanged"), so the test counts the Updates in the history too.
 */
let stack: TestStack;
let lead: Record<string, string>;
let approver: Record<string, string>;
const programId = `apicrash-${uniqueSuffix()}`;
const spawned: { process: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null; signalCode: NodeJS.Signals | null } }[] = [];

beforeAll(async () => {
  stack = await startStack('api-crash');
  lead = await stack.as(['lead'], 'p-lead-01');
  approver = await stack.as(['leadership'], 'p-vp-01');
  await stack.as(['leadership'], 'p-itdir-01');
  await stack.as(['leadership'], 'p-cmo-01');
}, 120_000);
afterAll(async () => {
  for (const api of spawned) if (api.process.exitCode === null && api.process.signalCode === null) api.process.kill('SIGTERM');
  await stack?.stop();
});

const decisionsPath = () => `/v1/programs/${programId}/gates/readiness/decisions`;

describe('the API killed between an Update and its answer', () => {
  it('a retry with the same Idempotency-Key gets the decision that was made, and the program holds exactly one', async () => {
    const plan = testPlan();
    plan.programId = programId;
    expect((await stack.programs('POST', '', lead, plan)).status).toBe(201);
    expect((await stack.programs('POST', `/${programId}/evidence`, lead, { evidence: passingEvidence() })).status).toBe(200);
    expect((await stack.programs('POST', `/${programId}/gates/readiness/requests`, lead, {})).status).toBe(200);

    const request = {
      method: 'POST',
      headers: { ...approver, 'idempotency-key': `decide-${programId}` },
      body: JSON.stringify({ decision: 'go', comment: 'ready: api crash test' }),
    };

    // 1. An API process that dies right after the Update returned.
    const crashing = await stack.spawnApi({ TEST_CRASH_API_AFTER_UPDATE: 'true' });
    spawned.push(crashing);
    const died = new Promise<NodeJS.Signals | null>((resolve) => crashing.process.once('exit', (_code, signal) => resolve(signal)));
    await expect(fetch(`${crashing.url}${decisionsPath()}`, request)).rejects.toThrow();
    expect(await died).toBe('SIGKILL');

    // The crash was where it should be: decided (row and audit entry written by the workflow),
    // the request's intent in the trail but not its outcome, the key still claimed.
    const count = async (sql: string) => (await stack.db.pool.query<{ n: number }>(sql, [programId])).rows[0]!.n;
    const decisionRows = () => count(`SELECT count(*)::int AS n FROM gate_decision WHERE program_id = $1 AND gate_id = 'readiness'`);
    const decidedEntries = () =>
      count(`SELECT count(*)::int AS n FROM audit_log WHERE target->>'programId' = $1 AND action = 'gate.decided'`);
    const requestEntries = async () =>
      (
        await stack.db.pool.query<{ result: string }>(
          `SELECT result FROM audit_log WHERE action = 'POST /v1/programs/{programId}/gates/{gate}/decisions' AND target->>'programId' = $1 ORDER BY seq`,
          [programId],
        )
      ).rows.map((r) => r.result);
    expect(await decisionRows()).toBe(1);
    expect(await decidedEntries()).toBe(1);
    expect(await requestEntries()).toEqual(['started']);
    const key = await stack.db.pool.query<{ state: string }>(`SELECT state FROM idempotency_keys WHERE key = $1`, [`decide-${programId}`]);
    expect(key.rows.map((r) => r.state)).toEqual(['in_flight']);

    // 2. A new API process; the client asks again with the same key and gets the first decision.
    const restarted = await stack.spawnApi();
    spawned.push(restarted);
    const retry = await fetch(`${restarted.url}${decisionsPath()}`, request);
    const gate = (await retry.json()) as GateView;
    expect(retry.status, JSON.stringify(gate)).toBe(200);
    expect(gate.decisions.map((d) => `${d.approverId} ${d.decision} ${d.comment}`)).toEqual(['p-vp-01 go ready: api crash test']);

    // Once more: now the stored answer, replayed.
    const replay = await fetch(`${restarted.url}${decisionsPath()}`, request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(gate);

    // 3. Exactly one decision: one row, one audit entry, one in the workflow's state, one Update in its history.
    expect(await decisionRows()).toBe(1);
    expect(await decidedEntries()).toBe(1);
    expect(await requestEntries()).toEqual(['started', 'started', '200']);
    const status = (await stack.programs('GET', `/${programId}`, lead)).body as unknown as ProgramStatus;
    const readiness = status.gates.find((g) => g.gate === 'readiness')!;
    expect(readiness.decisions).toHaveLength(1);
    expect(readiness.status).toBe('open');
    const events = (await stack.deps.temporal.workflow.getHandle(`program:${programId}`).fetchHistory()).events ?? [];
    const accepted = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'decideGate');
    expect(accepted).toHaveLength(1);
    expect(events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(
      events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
    );
  }, 300_000);
});
