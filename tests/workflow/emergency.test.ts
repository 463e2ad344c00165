import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeEmergencyUpdate,
  declareEmergencyUpdate,
  recordBacklogUpdate,
  restoreSystemsUpdate,
  resumeDepartmentUpdate,
  rollBackUpdate,
  type Actor,
} from '../../domain/rollout';
import { personWithToken } from '../helpers/people';
import { dept, lead, programTestBed, type Program, type ProgramTestBed } from '../helpers/program';
import { recordHistory, skipTime } from '../helpers/temporal';

let bed: ProgramTestBed;
let db: ProgramTestBed['db'];
let raised: ProgramTestBed['raised'];
let p: ProgramTestBed['driver'];
const oncall: Actor = { personId: 'p-oncall-01', roles: ['oncall'] };

beforeAll(async () => {
  bed = await programTestBed('emergency');
  ({ db, raised, driver: p } = bed);
});
afterAll(() => bed?.close());

const declare = (h: Program, departments: string[] | undefined, actor: Actor = oncall) =>
  h.executeUpdate(declareEmergencyUpdate, { args: [{ actor, departments, reason: 'new EMR unreachable from the lab' }] });
const backlog = (h: Program, department: string, paperRecords: number) =>
  h.executeUpdate(recordBacklogUpdate, { args: [{ actor: oncall, department, paperRecords }] });
const restore = (h: Program) => h.executeUpdate(restoreSystemsUpdate, { args: [{ actor: oncall, reason: 'network switch replaced' }] });
const close = (h: Program, reconciliation: 'comparison' | 'manual' = 'manual') =>
  h.executeUpdate(closeEmergencyUpdate, {
    args: [{ actor: lead, reconciliation, reason: 'paper records checked against the system by the ward clerks' }],
  });
const programId = (h: Program) => h.workflowId.slice('program:'.length);
/** The emergency's timeline events once the mail queue has told everyone (the declaration answers before that). */
const toldEvents = (h: Program) =>
  expect.poll(async () => (await p.status(h)).emergency!.timeline.map((t) => t.event), { timeout: 30_000 });

/** The pilot going live slowly (each step takes 400 ms), so an emergency lands mid-way. */
async function pilotGoingLive() {
  const h = await p.start((plan) => (plan.adapters = [{ id: 'sim', kind: 'simulated', delayMs: 400 }]));
  await p.passGate(h, 'readiness');
  await p.startWave(h, 1);
  await p.until(h, (s) => dept(s, 'LAB').state === 'going-live');
  await new Promise((r) => setTimeout(r, 450));
  return h;
}
const applied = async (h: Program, department: string) =>
  (
    await db.pool.query(
      `SELECT count(*)::int AS n FROM simulated_system_step WHERE program_id = $1 AND department = $2 AND state = 'applied'`,
      [programId(h), department],
    )
  ).rows[0].n as number;

describe('emergency: paper operation', () => {
  it('pauses a wave mid go-live, starts nothing new, and resumes after the all-clear', async () => {
    const h = await pilotGoingLive();
    const view = await declare(h, ['LAB']);
    expect(view).toMatchObject({ emergency: 1, status: 'open', departments: ['LAB'], pausedGoLives: ['LAB'] });
    // The e-mail to everyone leaves from the mail queue once the declaration has answered.
    expect(view.timeline.map((t) => t.event)).toEqual(['declared', 'go-live-paused', 'downtime-entered']);
    await toldEvents(h).toEqual(['declared', 'go-live-paused', 'downtime-entered', 'notified']);
    const packet = view.packets.LAB as { packetId: string; census: number; activeOrders: number; pendingResults: number };
    expect(packet.census).toBeGreaterThanOrEqual(6);
    expect(packet.activeOrders).toBe(Math.ceil(packet.census / 2));
    let s = await p.status(h);
    expect(s.phase).toBe('paused');
    expect(s.pausedReason).toBe('emergency 1: new EMR unreachable from the lab');

    // The running step finishes; no new one starts while on paper.
    await new Promise((r) => setTimeout(r, 1500));
    const stepsDuringDowntime = await applied(h, 'LAB');
    expect(stepsDuringDowntime).toBeLessThan(3);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await applied(h, 'LAB')).toBe(stepsDuringDowntime);
    await expect(p.request(h, 'exit-1')).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    const downtime = await db.pool.query('SELECT state FROM simulated_downtime WHERE program_id = $1 AND department = $2', [
      programId(h),
      'LAB',
    ]);
    expect(downtime.rows[0].state).toBe('downtime');

    await backlog(h, 'LAB', 37);
    await expect(close(h)).rejects.toMatchObject({ cause: { type: 'InvalidState', message: 'restore the systems first' } });
    await restore(h);
    await expect(close(h)).rejects.toMatchObject({ cause: { type: 'InvalidState', message: 'back-entry is not finished: LAB 37' } });
    await expect(close(h, 'comparison')).rejects.toMatchObject({ cause: { type: 'InvalidState' } });
    await backlog(h, 'LAB', 0);
    const closed = await close(h);
    expect(closed.status).toBe('closed');
    expect(closed.timeline.map((t) => [t.event, t.department])).toEqual([
      ['declared', undefined],
      ['go-live-paused', 'LAB'],
      ['downtime-entered', 'LAB'],
      ['notified', undefined],
      ['backlog 37', 'LAB'],
      ['restored', undefined],
      ['backlog 0', 'LAB'],
      ['backlog-cleared', undefined],
      ['closed (manual reconciliation)', undefined],
    ]);
    expect(closed.timeline.every((t, i, all) => i === 0 || t.sinceDeclaredMs >= all[i - 1]!.sinceDeclaredMs)).toBe(true);
    s = await p.status(h);
    expect(s.phase).toBe('wave-active');
    expect(s.allowedActions).toContain('resume-department:LAB');
    expect(dept(s, 'LAB').state).toBe('going-live');

    await h.executeUpdate(resumeDepartmentUpdate, {
      args: [{ actor: lead, department: 'LAB', reason: 'cutover resumes where it paused' }],
    });
    s = await p.until(h, (x) => x.waves[0]!.status === 'live');
    expect(dept(s, 'LAB').completedSteps).toEqual(['grant-access', 'route-interfaces', 'switch-analyzer-feed']);
    expect(raised.filter((r) => r.programId === programId(h)).map((r) => [r.condition, r.severity, r.departments])).toEqual([
      ['emergency-declared', 'sev1', ['LAB']],
    ]);
    const audit = await db.pool.query(
      `SELECT action FROM audit_log WHERE target->>'programId' = $1 AND action LIKE 'emergency.%' ORDER BY seq`,
      [programId(h)],
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'emergency.declared',
      'emergency.backlog',
      'emergency.restored',
      'emergency.backlog',
      'emergency.closed',
    ]);
    await recordHistory(h, 'program-emergency');
  });

  it('ends an emergency with a rollback of the department that was going live', async () => {
    const h = await pilotGoingLive();
    await declare(h, ['LAB']);
    await restore(h);
    await backlog(h, 'LAB', 0);
    await close(h);
    await h.executeUpdate(rollBackUpdate, {
      args: [{ actor: lead, departments: ['LAB'], reason: 'not again this week: roll the lab back' }],
    });
    const s = await p.until(h, (x) => dept(x, 'LAB').state === 'rolled-back');
    expect(dept(s, 'LAB').completedSteps).toEqual([]);
    expect(await applied(h, 'LAB')).toBe(0);
  });

  it('answers at once when the sev1 incident is refused for good, and shows and audits that it was not raised', async () => {
    const h = await p.start();
    // What the real server answered a department list in a single Keyword: gRPC INVALID_ARGUMENT.
    bed.faults.raise = () => Object.assign(new Error('invalid search attribute type'), { code: 3 });
    try {
      const started = Date.now();
      const view = await declare(h, undefined);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(view.departments).toHaveLength(10);
      expect(view.timeline.map((t) => t.event)).toEqual([
        'declared',
        ...view.departments.map(() => 'downtime-entered'),
        'incident-not-raised',
      ]);
      await toldEvents(h).toEqual(['declared', ...view.departments.map(() => 'downtime-entered'), 'incident-not-raised', 'notified']);
    } finally {
      bed.faults.raise = undefined;
    }
    const audit = await db.pool.query(
      `SELECT action, result, reason, details FROM audit_log WHERE target->>'programId' = $1 AND action LIKE 'incident.%'`,
      [programId(h)],
    );
    expect(audit.rows).toEqual([
      {
        action: 'incident.not-raised',
        result: 'failed',
        reason: 'TemporalRejected',
        details: { condition: 'emergency-declared', severity: 'sev1' },
      },
    ]);
    // A passing failure (the server away: UNAVAILABLE) is still retried until the raise goes out.
    let calls = 0;
    bed.faults.raise = () => (++calls <= 2 ? Object.assign(new Error('unavailable'), { code: 14 }) : undefined);
    try {
      const flaky = await p.start();
      const view = await declare(flaky, ['LAB']);
      expect(view.timeline.map((t) => t.event)).toEqual(['declared', 'downtime-entered']);
      expect(calls).toBe(3);
      await toldEvents(flaky).toEqual(['declared', 'downtime-entered', 'notified']);
      expect(raised.filter((r) => r.programId === programId(flaky)).map((r) => r.condition)).toEqual(['emergency-declared']);
    } finally {
      bed.faults.raise = undefined;
    }
  });

  it('with SMTP down, raises the sev1 incident first and answers at once; the e-mail is shown failed after its bound, then sent once SMTP is back', async () => {
    // People with addresses, so there is an e-mail to send.
    for (const id of ['p-oncall-01', 'p-lead-01']) await personWithToken(db.pool, ['oncall'], id);
    const h = await p.start();
    bed.smtp.down(true);
    try {
      const started = Date.now();
      const view = await declare(h, ['LAB', 'RAD']);
      // The answer waits on no e-mail: the mail queue sends it afterwards.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(view.timeline.map((t) => t.event)).toEqual(['declared', 'downtime-entered', 'downtime-entered']);
      expect(view.status).toBe('open');
      // Simulated time: the contacts' e-mail is tried for its 10 s bound, then shown failed.
      await skipTime(bed.env, 20_000);
      await toldEvents(h).toEqual(['declared', 'downtime-entered', 'downtime-entered', 'notify-failed']);
    } finally {
      bed.smtp.down(false);
    }
    expect(raised.filter((r) => r.programId === programId(h)).map((r) => [r.condition, r.severity, r.departments])).toEqual([
      ['emergency-declared', 'sev1', ['LAB', 'RAD']],
    ]);
    expect((await p.status(h)).phase).toBe('paused');
    // Nobody is left untold: once SMTP is back the same e-mails go out, each once, after the answer.
    await skipTime(bed.env, 2 * 60_000);
    await expect
      .poll(async () => (await p.status(h)).emergency!.timeline.map((t) => t.event), { timeout: 30_000 })
      .toEqual(['declared', 'downtime-entered', 'downtime-entered', 'notify-failed', 'notified']);
    const told = bed.smtp.messages.filter((m) => m.subject.includes('EMERGENCY') && m.subject.includes(programId(h))).flatMap((m) => m.to);
    expect(told.sort()).toEqual(['p-lead-01@hospital.test', 'p-oncall-01@hospital.test']);
  });

  it('treats a second declaration for the same departments as the same emergency', async () => {
    const h = await pilotGoingLive();
    const first = await declare(h, ['LAB', 'IM-OPD']);
    const again = await declare(h, ['LAB'], lead);
    expect(again.emergency).toBe(first.emergency);
    expect(again.timeline.filter((t) => t.event !== 'notified')).toEqual(first.timeline);
    expect(raised.filter((r) => r.programId === programId(h))).toHaveLength(1);
    const packets = await db.pool.query('SELECT count(*)::int AS n FROM downtime_packet WHERE program_id = $1', [programId(h)]);
    expect(packets.rows[0].n).toBe(2);
    // The whole hospital: the other departments join the same emergency.
    const all = await declare(h, undefined);
    expect(all.departments).toHaveLength(10);
    expect(all.emergency).toBe(first.emergency);
  });
});
