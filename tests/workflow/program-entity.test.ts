import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../domain/ids';
import { personWithToken } from '../helpers/people';
import { dept, itdir, programTestBed, testDomain, vp, type Program, type ProgramTestBed } from '../helpers/program';
import { skipTime } from '../helpers/temporal';

/** The reshaped program: decisions that never wait on e-mail, actions that follow the clock, an end for every child. */
let bed: ProgramTestBed;
let p: ProgramTestBed['driver'];
beforeAll(async () => {
  bed = await programTestBed('entity');
  p = bed.driver;
  // The approvers have addresses, so every gate e-mail has somewhere to go.
  for (const id of ['p-vp-01', 'p-itdir-01', 'p-cmo-01']) await personWithToken(bed.db.pool, ['leadership'], id);
});
afterAll(() => bed?.close());

const programId = (h: Program) => h.workflowId.slice('program:'.length);
const mailsAbout = (h: Program, gate: string, decided: string) =>
  bed.smtp.messages.filter((m) => m.subject === `[golive] ${programId(h)}: the ${gate} gate decided ${decided}`);

describe('program: a decision returns when it is decided', () => {
  it('with SMTP down, a go that closes the gate answers at once; each gate-decided e-mail arrives once after SMTP is back', async () => {
    const h = await p.start();
    await p.fullEvidence(h);
    await p.request(h, 'readiness');
    await p.decide(h, 'readiness', vp, 'go');
    bed.smtp.down(true);
    let elapsedMs: number;
    try {
      const started = Date.now();
      const view = await p.decide(h, 'readiness', itdir, 'go');
      elapsedMs = Date.now() - started;
      expect(view.status).toBe('go');
      // Decided and recorded: the row with its evidence hash and the audit entry are there already.
      expect(view.decisions.map((d) => d.evidenceHash)).toEqual([
        expect.stringMatching(/^[0-9a-f]{64}$/),
        expect.stringMatching(/^[0-9a-f]{64}$/),
      ]);
      const audit = await bed.db.pool.query(
        `SELECT action FROM audit_log WHERE target->>'programId' = $1 AND action LIKE 'gate.%' ORDER BY seq`,
        [programId(h)],
      );
      expect(audit.rows.map((r) => r.action)).toEqual(['gate.opened', 'gate.decided', 'gate.decided', 'gate.closed']);
      // Ten simulated minutes of SMTP away: the e-mail waits in the queue, nothing else does.
      expect((await p.status(h)).allowedActions).toContain('start-wave:1');
      await skipTime(bed.env, 10 * 60_000);
      expect(mailsAbout(h, 'readiness', 'go')).toHaveLength(0);
    } finally {
      bed.smtp.down(false);
    }
    console.log(`decision latency with SMTP down (time-skipping server): ${elapsedMs} ms`);
    expect(elapsedMs).toBeLessThan(5_000);
    await skipTime(bed.env, 2 * 60_000);
    await expect
      .poll(
        () =>
          mailsAbout(h, 'readiness', 'go')
            .flatMap((m) => m.to)
            .sort(),
        { timeout: 30_000 },
      )
      .toEqual(['p-cmo-01@hospital.test', 'p-itdir-01@hospital.test', 'p-vp-01@hospital.test']);
    // Exactly once each, also after more time passes (retries re-send nobody).
    await skipTime(bed.env, 5 * 60_000);
    expect(mailsAbout(h, 'readiness', 'go').flatMap((m) => m.to)).toHaveLength(3);
  });
});

describe('program: allowed actions follow the clock', () => {
  it("the exit gate appears in the allowed actions at the moment the wave's minimum run ends, with no other event", async () => {
    const h = await p.start((plan) => {
      for (const w of plan.waves) w.minimumDuration = 'PT6H';
    });
    await p.passGate(h, 'readiness');
    await p.startWave(h, 1);
    const live = await p.until(h, (s) => s.waves[0]!.status === 'live');
    const allowedAt = Date.parse(live.waves[0]!.exitGateAllowedAt!);
    expect(live.allowedActions).not.toContain('request-gate:exit-1');
    // Skip to just past the moment: the workflow woke then by its own timer and says so.
    await skipTime(bed.env, allowedAt - (await bed.env.currentTimeMs()) + 1_000);
    const s = await p.status(h);
    expect(s.allowedActions).toContain('request-gate:exit-1');
    expect(Date.parse(s.updatedAt)).toBeGreaterThanOrEqual(allowedAt);
    expect(Date.parse(s.updatedAt)).toBeLessThan(allowedAt + 60_000);
  });
});

describe('program: cancelling ends the program and its children', () => {
  it('a cancelled program ends aborted; the going-live department stops after its step and the parallel run ends', async () => {
    const h = await p.start((plan) => {
      plan.adapters = [{ id: 'sim', kind: 'simulated', delayMs: 400 }];
      plan.waves[0]!.minimumDuration = 'PT1H';
      plan.parallelRun = { minimumDays: 14, exitCleanNights: 3, domains: [testDomain('charges')] };
    });
    await p.passGate(h, 'readiness');
    await p.startWave(h, 1);
    await p.until(h, (s) => s.waves[0]!.status === 'live' && s.parallelRun.started);
    await skipTime(bed.env, 2 * 3_600_000);
    await p.passGate(h, 'exit-1');
    await p.startWave(h, 2);
    await p.until(h, (s) => dept(s, 'RAD').state === 'going-live');
    await h.cancel();
    await expect(h.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    // This run's children are cancelled with it; children of an earlier run (before a
    // continue-as-new) are told by signal: either way none is left running.
    for (const id of [workflowIds.parallelRun(programId(h)), workflowIds.departmentGoLive(programId(h), 'RAD', 1)]) {
      const child = bed.env.client.workflow.getHandle(id);
      await child.result().catch(() => undefined);
      expect((await child.describe()).status.name).not.toBe('RUNNING');
    }
    const audit = await bed.db.pool.query(
      `SELECT action, result FROM audit_log WHERE target->>'programId' = $1 AND action = 'program.aborted'`,
      [programId(h)],
    );
    expect(audit.rows).toEqual([{ action: 'program.aborted', result: 'aborted' }]);
    const described = await h.describe();
    expect(described.status.name).toBe('CANCELLED');
  }, 120_000);
});
