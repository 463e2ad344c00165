import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../domain/ids';
import type { parallelRunWorkflow } from '../../workflows';
import { DAY, programTestBed, type Program, type ProgramTestBed } from '../helpers/program';
import { pilotLive } from '../helpers/program-lifecycle';
import { skipTime } from '../helpers/temporal';

/**
 * Terminating or cancelling a program ends its children (issue 14): a terminated program never
 * says endRun, and its parallel run must not wait for it for ever. A file of its own, on a fresh
 * time-skipping server: after the flooded continue-as-new tests of program-lifecycle.test.ts the
 * server's clock sometimes stopped moving (test server 1.40.0).
 */
let bed: ProgramTestBed;
let env: ProgramTestBed['env'];
let db: ProgramTestBed['db'];
let p: ProgramTestBed['driver'];

beforeAll(async () => {
  bed = await programTestBed('ends');
  ({ env, db, driver: p } = bed);
});
afterAll(() => bed?.close());

const programId = (h: WorkflowHandle) => h.workflowId.slice(h.workflowId.indexOf(':') + 1);
const parallelRun = (h: Program) => env.client.workflow.getHandle<typeof parallelRunWorkflow>(workflowIds.parallelRun(programId(h)));

describe('a program that ends without ending its run', () => {
  it('a terminated program: its parallel run notices before its next comparison, audits why and completes', async () => {
    const h = await pilotLive(bed);
    // The first whole business day after go-live is compared at 02:00 after it: within 2 days.
    await skipTime(env, 3 * DAY);
    await p.until(h, (s) => s.parallelRun.nightsCompared >= 1);
    await h.terminate('operator ended the program by hand');
    expect((await h.describe()).status.name).toBe('TERMINATED');

    // The next comparison is due within a day: waiting for the run's result lets the server skip to it.
    const startedAt = await env.currentTimeMs();
    const result = await parallelRun(h).result();
    expect((await env.currentTimeMs()) - startedAt).toBeLessThan(DAY);
    expect(result.ended).toBe(true);
    expect((await parallelRun(h).describe()).status.name).toBe('COMPLETED');
    const { rows } = await db.pool.query(
      `SELECT actor, result, details FROM audit_log WHERE target->>'programId' = $1 AND action = 'parallel-run.ended'`,
      [programId(h)],
    );
    expect(rows).toEqual([
      { actor: 'workflow:parallel-run', result: 'program-terminated', details: { nightsCompared: result.nightsCompared } },
    ]);
  });
});
