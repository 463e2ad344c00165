import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { ProgramStatus } from '../../domain/rollout';
import { passingEvidence } from '../helpers/complete';
import { startStack, type TestStack } from '../helpers/stack';
import { uniqueSuffix } from '../helpers/temporal';

/**
 * Issue 15 on the real dev server, worker process, API, PostgreSQL and SMTP: many readers of a
 * program cost one query, unchanged state is a 304, the deciding client reads its own decision at
 * once, and both processes serve Prometheus metrics.
 */
let stack: TestStack;
let lead: Record<string, string>;
let viewer: Record<string, string>;
const programId = `reads-${uniqueSuffix()}`;

beforeAll(async () => {
  stack = await startStack('read-path');
  lead = await stack.as(['lead'], 'p-lead-01');
  viewer = await stack.as(['viewer']);
  const plan = testPlan();
  plan.programId = programId;
  expect((await stack.programs('POST', '', lead, plan)).status).toBe(201);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const metric = async (name: string, labels: string): Promise<number> => {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

const status = (headers: Record<string, string>) => fetch(`${stack.url}/v1/programs/${programId}`, { headers });

describe('program status reads on the real stack (issue 15)', () => {
  it('50 concurrent readers cost at most one query; unchanged state answers 304 with no body', async () => {
    const missesBefore = await metric('golive_live_reads_total', 'outcome="miss"');
    const all = await Promise.all(Array.from({ length: 50 }, () => status(viewer)));
    expect(all.map((r) => r.status)).toEqual(Array(50).fill(200));
    const etags = new Set(all.map((r) => r.headers.get('etag')));
    expect(etags.size).toBe(1);
    expect((await metric('golive_live_reads_total', 'outcome="miss"')) - missesBefore).toBe(1);

    const etag = [...etags][0]!;
    const same = await status({ ...viewer, 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
  });

  it("the deciding client's next read shows its decision at once; a reader with the old ETag gets the new state", async () => {
    const before = await status(viewer);
    const etag = before.headers.get('etag')!;
    expect(((await before.json()) as ProgramStatus).gates.find((g) => g.gate === 'readiness')?.status).toBe('closed');
    expect((await stack.programs('POST', `/${programId}/evidence`, lead, { evidence: passingEvidence() })).status).toBe(200);
    expect((await stack.programs('POST', `/${programId}/gates/readiness/requests`, lead, {})).status).toBe(200);
    const after = await status({ ...viewer, 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(((await after.json()) as ProgramStatus).gates.find((g) => g.gate === 'readiness')?.status).toBe('open');
  });

  it('the API counts requests under their route template; the worker serves the Temporal SDK runtime metrics', async () => {
    expect(
      await metric('http_request_duration_seconds_count', 'route="/v1/programs/:programId",method="GET",status_class="2xx"'),
    ).toBeGreaterThan(50);
    const api = await (await fetch(`${stack.url}/metrics`)).text();
    expect(api).not.toContain(programId);
    const worker = await fetch(stack.workerMetricsUrl);
    expect(worker.status).toBe(200);
    const text = await worker.text();
    expect(text).toMatch(/^temporal_\w+/m);
    expect(text).toContain('temporal_workflow_task_execution_latency');
    expect(text).not.toContain(programId);
  });
});
