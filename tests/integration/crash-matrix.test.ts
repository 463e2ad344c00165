import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { EmergencyView, ProgramStatus } from '../../domain/rollout';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * kill -9 of the worker process at three points of a department go-live, a rollback and an
 * emergency declaration, on the real dev server: when the activity that does the work is
 * scheduled, while it runs, and just after it completed. After each kill a new worker starts;
 * every flow must then complete with no e-mail sent twice (Message-IDs at the SMTP server) and
 * every audit entry of a run without kills present exactly once.
 *
 * A killed worker's running activity is only noticed by Temporal at its start-to-close timeout
 * (2 minutes for an adapter step). To keep the test in minutes, the test ends such a lost
 * attempt the moment the worker is dead (RespondActivityTaskFailedById, as the timeout would):
 * the retry that follows is the same as after a timeout, which is what is under test.
 */
let stack: TestStack;
let lead: Record<string, string>;
let approvers: Record<string, string>[];
const programId = `crash-${Date.now().toString(36)}`;
const kills: string[] = [];

// temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (the proto package is not a dependency of ours).
const STARTED = 2;

beforeAll(async () => {
  stack = await startStack('crash-matrix');
  lead = await stack.as(['lead', 'oncall'], 'p-lead-01');
  await stack.as(['oncall'], 'p-oncall-01');
  approvers = [await stack.as(['leadership'], 'p-vp-01'), await stack.as(['leadership'], 'p-itdir-01'), await stack.as(['leadership'], 'p-cmo-01')];
});
afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const res = await fetch(`${stack.url}/v1/programs${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const status = async () => (await api('GET', `/${programId}`, lead)).body as unknown as ProgramStatus;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function history(workflowId: string) {
  return (await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}
/** Ids of the scheduled events of `activity`, and which of them completed. */
async function activityEvents(workflowId: string, activity: string) {
  const events = await history(workflowId);
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).map((e) => Number(e.eventId));
  const completed = events.filter((e) => e.activityTaskCompletedEventAttributes && scheduled.includes(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId))).length;
  return { scheduled: scheduled.length, completed };
}
async function pending(workflowId: string) {
  const d = await stack.deps.temporal.workflow.getHandle(workflowId).describe();
  return (d.raw.pendingActivities ?? []).map((a) => ({ id: a.activityId!, type: a.activityType?.name ?? '', started: Number(a.state) === STARTED, runId: d.runId }));
}
async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) {
      const s = await status();
      throw new Error(`timed out waiting for ${what} (phase ${s.phase}; ${s.departments.map((d) => `${d.code}:${d.state}`).join(' ')}; kills: ${kills.join('; ')})`);
    }
    await sleep(intervalMs);
  }
}

/** SIGKILL the worker, end the attempts it held (see above), start a new worker. */
async function killWorker(point: string) {
  const old = stack.worker;
  const exited = new Promise((r) => old.once('exit', r));
  old.kill('SIGKILL');
  await exited;
  kills.push(point);
  // Every running workflow of this test's server: the dead worker held all their running activities.
  const watch: string[] = [];
  for await (const wf of stack.deps.temporal.workflow.list({ query: `ExecutionStatus = 'Running'` })) watch.push(wf.workflowId);
  const lost = (await Promise.all(watch.map(async (w) => (await pending(w)).filter((a) => a.started).map((a) => ({ ...a, workflowId: w }))))).flat();
  for (const a of lost) {
    await stack.deps.temporal.activity.fail({ workflowId: a.workflowId, runId: a.runId, activityId: a.id }, new Error(`worker killed (${point})`)).catch(() => undefined);
  }
  stack.restartWorker();
}

/** Kills at the three points of the `activity` calls of `workflowId`, which `start` set going. */
async function killAtThreePoints(flow: string, workflowId: string, activity: string) {
  await waitFor(`${flow}: ${activity} scheduled`, async () => (await activityEvents(workflowId, activity)).scheduled >= 1);
  await killWorker(`${flow}: ${activity} scheduled`);
  await waitFor(`${flow}: ${activity} running`, async () => (await pending(workflowId)).some((a) => a.type === activity && a.started));
  await killWorker(`${flow}: ${activity} running`);
  const before = (await activityEvents(workflowId, activity)).completed;
  await waitFor(`${flow}: ${activity} completed`, async () => (await activityEvents(workflowId, activity)).completed > before);
  await killWorker(`${flow}: ${activity} completed`);
}

async function passReadiness() {
  const training = Object.fromEntries(testPlan().departments.map((d) => [d.code, { examined: 10, passed: 10 }]));
  const evidence = { uat: { severeTotal: 3, severeFixed: 3, ordinaryTotal: 40, ordinaryFixed: 39 }, training, backup: { takenAt: new Date().toISOString() }, migration: { verified: true } };
  expect((await api('POST', `/${programId}/evidence`, lead, { evidence })).status).toBe(200);
  expect((await api('POST', `/${programId}/gates/readiness/requests`, lead, {})).status).toBe(200);
  for (const a of approvers.slice(0, 2)) expect((await api('POST', `/${programId}/gates/readiness/decisions`, a, { decision: 'go' })).status).toBe(200);
}

describe('crash matrix: kill -9 of the worker', () => {
  it('at three points of a go-live, a rollback and an emergency: each completes, no e-mail doubled, no audit entry missing', async () => {
    const plan = testPlan();
    plan.programId = programId;
    // Each adapter call takes a second: long enough to kill the worker while one runs.
    plan.adapters = [{ id: 'sim', kind: 'simulated', delayMs: 1000 }];
    for (const w of plan.waves) w.minimumDuration = 'PT1S';
    plan.parallelRun = { minimumDuration: 'PT1S' };
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    await passReadiness();

    // Go-live of the pilot wave (IM-OPD and LAB); LAB's three steps are killed into.
    expect((await api('POST', `/${programId}/waves/1/start`, lead, {})).status).toBe(200);
    const t0 = Date.now();
    const lap = (what: string) => console.info(`crash matrix: ${what} after ${Math.round((Date.now() - t0) / 1000)} s`);
    await killAtThreePoints('go-live', `golive:${programId}:LAB:1`, 'runStep');
    await waitFor('pilot live', async () => (await status()).departments.filter((d) => ['IM-OPD', 'LAB'].includes(d.code)).every((d) => d.state === 'live-parallel'), 90_000, 250);

    lap('go-live done');
    // Rollback of the pilot wave: LAB's compensations are killed into.
    expect((await api('POST', `/${programId}/rollbacks`, lead, { wave: 1, reason: 'crash matrix: undo the pilot' })).status).toBe(200);
    await killAtThreePoints('rollback', `rollback:${programId}:LAB:1`, 'runStep');
    await waitFor('pilot rolled back', async () => (await status()).departments.filter((d) => ['IM-OPD', 'LAB'].includes(d.code)).every((d) => d.state === 'rolled-back'), 90_000, 250);

    lap('rollback done');
    // Emergency for one department (two or more fail on the real server until the search
    // attribute GoliveDepartment is a keyword list, issue 12). The SMTP server answers slowly so
    // that the worker dies while e-mails are being sent; the request itself waits it out.
    stack.smtp.slow(300);
    const declared = api('POST', `/${programId}/emergencies`, lead, { departments: ['LAB'], reason: 'crash matrix: LAB on paper' });
    await killAtThreePoints('emergency', `program:${programId}`, 'notifyPeople');
    const answer = await declared;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    stack.smtp.slow(0);
    await waitFor('emergency notified', async () => {
      const e = (await api('GET', `/${programId}/emergency`, lead)).body as unknown as EmergencyView;
      return e.timeline.some((t) => t.event === 'notified');
    }, 60_000, 250);
    lap('emergency done');
    const emergencyMails = await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes('EMERGENCY')).length >= 5, 60_000);
    expect(kills).toHaveLength(9);

    // No e-mail doubled: every Message-ID arrived once, and each person got the emergency once.
    await sleep(2000);
    const ids = stack.smtp.messages.map((m) => m.messageId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(emergencyMails.filter((x) => x.subject.includes('EMERGENCY')).flatMap((m) => m.to).sort()).toEqual(['p-cmo-01', 'p-itdir-01', 'p-lead-01', 'p-oncall-01', 'p-vp-01'].map((id) => `${id}@hospital.test`));
    const outbox = await stack.db.pool.query<{ n: number; sent: number }>(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM email_outbox`);
    expect(outbox.rows[0]!.sent).toBe(outbox.rows[0]!.n);
    expect(new Set(ids).size).toBe(outbox.rows[0]!.n);

    // No audit entry missing: the workflow's transitions of a run without kills, each exactly once.
    const trail = await stack.db.pool.query<{ action: string; department: string | null }>(
      `SELECT action, target->>'department' AS department FROM audit_log WHERE target->>'programId' = $1 AND action NOT LIKE '% /%'`,
      [programId],
    );
    const transitions = trail.rows.map((r) => `${r.action}${r.department ? ` ${r.department}` : ''}`).sort();
    for (const expected of ['wave.started', 'department.live IM-OPD', 'department.live LAB', 'rollback.requested', 'department.rolled-back IM-OPD', 'department.rolled-back LAB', 'emergency.declared']) {
      expect(transitions.filter((t) => t === expected), `${expected} in ${transitions.join(', ')}`).toHaveLength(1);
    }
    const verify = await fetch(`${stack.url}/v1/audit/verify`, { headers: lead });
    expect(await verify.json()).toMatchObject({ ok: true });
    console.info(`crash matrix: ${kills.length} kills (${kills.join('; ')}); ${ids.length} e-mails, none doubled; ${transitions.length} workflow audit entries`);
  }, 600_000);
});
