import { uniqueSuffix } from '../helpers/temporal';
import { passingEvidence } from '../helpers/complete';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import type { EmergencyView, ProgramStatus } from '../../domain/rollout';
import { testDomain } from '../helpers/program';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * kill -9 of the worker process at three points of a department go-live, a comparison of the
 * parallel run, a rollback and an emergency declaration, on the real dev server: when the activity that does the work is
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
const programId = `crash-${uniqueSuffix()}`;
const kills: string[] = [];

// temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (the proto package is not a dependency of ours).
const STARTED = 2;

beforeAll(async () => {
  stack = await startStack('crash-matrix');
  lead = await stack.as(['lead', 'oncall'], 'p-lead-01');
  await stack.as(['oncall'], 'p-oncall-01');
  approvers = [
    await stack.as(['leadership'], 'p-vp-01'),
    await stack.as(['leadership'], 'p-itdir-01'),
    await stack.as(['leadership'], 'p-cmo-01'),
  ];
});
afterAll(async () => {
  await stack?.stop();
});

const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) => stack.programs(method, path, headers, body);
const status = async () => (await api('GET', `/${programId}`, lead)).body as unknown as ProgramStatus;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function history(workflowId: string) {
  return (await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}
/** Ids of the scheduled events of `activity`, and which of them completed. */
async function activityEvents(workflowId: string, activity: string) {
  const events = await history(workflowId);
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)
    .map((e) => Number(e.eventId));
  const completed = events.filter(
    (e) => e.activityTaskCompletedEventAttributes && scheduled.includes(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
  ).length;
  return { scheduled: scheduled.length, completed };
}
async function pending(workflowId: string) {
  const d = await stack.deps.temporal.workflow.getHandle(workflowId).describe();
  return (d.raw.pendingActivities ?? []).map((a) => ({
    id: a.activityId!,
    type: a.activityType?.name ?? '',
    started: Number(a.state) === STARTED,
    runId: d.runId,
  }));
}
async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) {
      const s = await status();
      throw new Error(
        `timed out waiting for ${what} (phase ${s.phase}; ${s.departments.map((d) => `${d.code}:${d.state}`).join(' ')}; kills: ${kills.join('; ')})`,
      );
    }
    await sleep(intervalMs);
  }
}

/** SIGKILL the worker, end the attempts it held (see above), start a new worker unless told otherwise. */
async function killWorker(point: string, restart = true) {
  const old = stack.worker;
  const exited = new Promise((r) => old.once('exit', r));
  old.kill('SIGKILL');
  await exited;
  kills.push(point);
  // Every running workflow of this test's server: the dead worker held all their running activities.
  const watch: string[] = [];
  for await (const wf of stack.deps.temporal.workflow.list({ query: `ExecutionStatus = 'Running'` })) watch.push(wf.workflowId);
  const lost = (
    await Promise.all(watch.map(async (w) => (await pending(w)).filter((a) => a.started).map((a) => ({ ...a, workflowId: w }))))
  ).flat();
  for (const a of lost) {
    await stack.deps.temporal.activity
      .fail({ workflowId: a.workflowId, runId: a.runId, activityId: a.id }, new Error(`worker killed (${point})`))
      .catch(() => undefined);
  }
  if (restart) stack.restartWorker();
}

/**
 * Kills at three points of the `activity` calls of `workflowId`: when the first is scheduled
 * (unless `scheduled` is false: the caller killed before it), while one runs, and just after one completed.
 */
async function killAtThreePoints(flow: string, workflowId: string, activity: string, timeoutMs = 60_000, scheduled = true) {
  if (scheduled) {
    await waitFor(`${flow}: ${activity} scheduled`, async () => (await activityEvents(workflowId, activity)).scheduled >= 1, timeoutMs);
    await killWorker(`${flow}: ${activity} scheduled`);
  }
  await waitFor(
    `${flow}: ${activity} running`,
    async () => (await pending(workflowId)).some((a) => a.type === activity && a.started),
    timeoutMs,
  );
  await killWorker(`${flow}: ${activity} running`);
  const completedBefore = (await activityEvents(workflowId, activity)).completed;
  await waitFor(
    `${flow}: ${activity} completed`,
    async () => (await activityEvents(workflowId, activity)).completed > completedBefore,
    timeoutMs,
  );
  await killWorker(`${flow}: ${activity} completed`);
}

async function passReadiness() {
  expect((await api('POST', `/${programId}/evidence`, lead, { evidence: passingEvidence() })).status).toBe(200);
  expect((await api('POST', `/${programId}/gates/readiness/requests`, lead, {})).status).toBe(200);
  for (const a of approvers.slice(0, 2))
    expect((await api('POST', `/${programId}/gates/readiness/decisions`, a, { decision: 'go' })).status).toBe(200);
}

describe('crash matrix: kill -9 of the worker', () => {
  it('at three points of a go-live, a comparison, a rollback and an emergency: each completes, no e-mail doubled, no audit entry missing', async () => {
    const plan = testPlan();
    plan.programId = programId;
    // Each adapter call takes a second: long enough to kill the worker while one runs.
    plan.adapters = [{ id: 'sim', kind: 'simulated', delayMs: 1000 }];
    for (const w of plan.waves) w.minimumDuration = 'PT1S';
    // One comparison domain whose two sides are tables of this test's database; each side's
    // query takes two seconds, long enough to kill the worker while the comparison runs.
    const domain = testDomain('charges');
    domain.legacy = {
      kind: 'postgres',
      connection: { urlEnv: 'DATABASE_URL' },
      query: 'SELECT id, amount FROM crash_legacy, pg_sleep(2) WHERE at >= $1 AND at < $2',
    };
    domain.new = {
      kind: 'postgres',
      connection: { urlEnv: 'DATABASE_URL' },
      query: 'SELECT id, amount FROM crash_new, pg_sleep(2) WHERE at >= $1 AND at < $2',
    };
    plan.parallelRun = { minimumDuration: 'PT1S', settle: 'PT1S', domains: [domain] };
    for (const table of ['crash_legacy', 'crash_new']) {
      await stack.db.pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, amount numeric, at timestamptz)`);
      await stack.db.pool.query(`INSERT INTO ${table} SELECT 'c' || i, i, now() - interval '10 minutes' FROM generate_series(1, 50) i`);
    }
    expect((await api('POST', '', lead, plan)).status).toBe(201);
    await passReadiness();
    // The gate's e-mails leave before the first kill: the kills aim at a go-live step, and one that
    // lands while SMTP takes an unrelated e-mail resends it (SMTP's own window, README).
    const mailsOut = async () => {
      const { rows } = await stack.db.pool.query<{ open: number; n: number }>(
        `SELECT count(*) FILTER (WHERE status <> 'sent')::int AS open, count(*)::int AS n FROM email_outbox`,
      );
      return rows[0]!.n > 0 && rows[0]!.open === 0;
    };
    await waitFor('readiness e-mails sent', mailsOut, 60_000, 250);
    await sleep(1000);
    await waitFor('readiness e-mails sent', mailsOut, 60_000, 250);

    // Go-live of the pilot wave (IM-OPD and LAB); LAB's three steps are killed into.
    expect((await api('POST', `/${programId}/waves/1/start`, lead, {})).status).toBe(200);
    const t0 = Date.now();
    const lap = (what: string) => console.info(`crash matrix: ${what} after ${Math.round((Date.now() - t0) / 1000)} s`);
    await killAtThreePoints('go-live', `golive:${programId}:LAB:1`, 'runStep');
    await waitFor(
      'pilot live',
      async () => (await status()).departments.filter((d) => ['IM-OPD', 'LAB'].includes(d.code)).every((d) => d.state === 'live-parallel'),
      90_000,
      250,
    );

    lap('go-live done');

    // A comparison of the parallel run (the nightly comparison's activity, asked for now with
    // compare-again rather than waiting for the night): killed into as well.
    await waitFor('parallel run started', async () => (await status()).allowedActions.includes('compare-again'), 60_000, 250);
    // Its retries wait a minute and more (a database back after a restart), so its first point is
    // before it is scheduled: the worker dies, the request comes, a new worker starts. Only the
    // kill while it runs then costs a retry.
    await killWorker('comparison: before compareNight is scheduled', false);
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    // With no worker the API answers 503 once the Update is not accepted within its deadline; the
    // Update itself waits in Temporal under its id (the Idempotency-Key), so a client retrying
    // with the same key after Retry-After gets the one comparison, not a second.
    const asked = { ...lead, 'idempotency-key': `crash-compare-${programId}` };
    const compare = api('POST', `/${programId}/parallel-run/comparisons`, asked, { window, reason: 'crash matrix: compare now' });
    await sleep(1000);
    stack.restartWorker();
    let compared = await compare;
    for (let tries = 0; compared.status === 503 && tries < 10; tries++) {
      await sleep(2000);
      compared = await api('POST', `/${programId}/parallel-run/comparisons`, asked, { window, reason: 'crash matrix: compare now' });
    }
    expect(compared.status, JSON.stringify(compared.body)).toBe(200);
    await killAtThreePoints('comparison', `parallel-run:${programId}`, 'compareNight', 150_000, false);
    await waitFor(
      'comparison recorded',
      async () => {
        const nights = (await api('GET', `/${programId}/parallel-run/nights`, lead)).body as {
          nights: { domains?: { status: string }[]; results?: { status: string }[] }[];
        };
        return JSON.stringify(nights).includes('"clean"');
      },
      120_000,
      500,
    );
    lap('comparison done');
    // Rollback of the pilot wave: LAB's compensations are killed into.
    expect((await api('POST', `/${programId}/rollbacks`, lead, { wave: 1, reason: 'crash matrix: undo the pilot' })).status).toBe(200);
    await killAtThreePoints('rollback', `rollback:${programId}:LAB:1`, 'runStep');
    await waitFor(
      'pilot rolled back',
      async () => (await status()).departments.filter((d) => ['IM-OPD', 'LAB'].includes(d.code)).every((d) => d.state === 'rolled-back'),
      90_000,
      250,
    );

    lap('rollback done');
    // Emergency for one department (two or more fail on the real server until the search
    // attribute GoliveDepartment is a keyword list, issue 12). The SMTP server answers slowly so
    // that the worker dies while e-mails are being sent; the request itself waits it out.
    stack.smtp.slow(300);
    const declaring = { ...lead, 'idempotency-key': `crash-emergency-${programId}` };
    const declare = () =>
      api('POST', `/${programId}/emergencies`, declaring, { departments: ['LAB'], reason: 'crash matrix: LAB on paper' });
    const declared = declare();
    await killAtThreePoints('emergency', `program:${programId}`, 'notifyPeople');
    // With its worker killed the answer may be 503 (not accepted in time) or 202 (still running):
    // the client asks again with the same Idempotency-Key, the Update's id, and gets the one declaration.
    let answer = await declared;
    for (let tries = 0; (answer.status === 503 || answer.status === 202) && tries < 15; tries++) {
      await sleep(2000);
      answer = await declare();
    }
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    stack.smtp.slow(0);
    await waitFor(
      'emergency notified',
      async () => {
        const e = (await api('GET', `/${programId}/emergency`, lead)).body as unknown as EmergencyView;
        return e.timeline.some((t) => t.event === 'notified');
      },
      60_000,
      250,
    );
    lap('emergency done');
    const emergencyMails = await stack.smtp.waitFor((m) => m.filter((x) => x.subject.includes('EMERGENCY')).length >= 5, 60_000);
    expect(kills).toHaveLength(12);

    // No e-mail doubled: every Message-ID arrived once, and each person got the emergency once.
    await sleep(2000);
    const ids = stack.smtp.messages.map((m) => m.messageId);
    // Named by subject, recipient and time (kills: see the message) when one is doubled.
    const doubled = stack.smtp.messages
      .filter((m, i) => ids.indexOf(m.messageId) !== i)
      .map((m) => `${m.subject} to ${m.to.join(',')} at ${new Date(m.receivedAt).toISOString()}`);
    expect(doubled, `kills: ${kills.join('; ')}`).toEqual([]);
    expect(
      emergencyMails
        .filter((x) => x.subject.includes('EMERGENCY'))
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(['p-cmo-01', 'p-itdir-01', 'p-lead-01', 'p-oncall-01', 'p-vp-01'].map((id) => `${id}@hospital.test`));
    const outbox = await stack.db.pool.query<{ n: number; sent: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM email_outbox`,
    );
    expect(outbox.rows[0]!.sent).toBe(outbox.rows[0]!.n);
    expect(new Set(ids).size).toBe(outbox.rows[0]!.n);

    // No audit entry missing: the workflow's transitions of a run without kills, each exactly once.
    const trail = await stack.db.pool.query<{ action: string; department: string | null }>(
      `SELECT action, target->>'department' AS department FROM audit_log WHERE target->>'programId' = $1 AND action NOT LIKE '% /%'`,
      [programId],
    );
    const transitions = trail.rows.map((r) => `${r.action}${r.department ? ` ${r.department}` : ''}`).sort();
    for (const expected of [
      'wave.started',
      'department.live IM-OPD',
      'department.live LAB',
      'parallel-run.compare-again',
      'parallel-run.night',
      'rollback.requested',
      'department.rolled-back IM-OPD',
      'department.rolled-back LAB',
      'emergency.declared',
    ]) {
      expect(
        transitions.filter((t) => t === expected),
        `${expected} in ${transitions.join(', ')}`,
      ).toHaveLength(1);
    }
    const verify = await fetch(`${stack.url}/v1/audit/verify`, { headers: lead });
    expect(await verify.json()).toMatchObject({ ok: true });
    console.info(
      `crash matrix: ${kills.length} kills (${kills.join('; ')}); ${ids.length} e-mails, none doubled; ${transitions.length} workflow audit entries`,
    );
  }, 600_000);
});
