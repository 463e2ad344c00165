import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createIncidentActivities } from '../../activities/incidents';
import type { ResolvePeople } from '../../app/people';
import {
  acknowledgeUpdate,
  EscalationPolicy,
  incidentStatusQuery,
  incidentWorkflowType,
  resolveUpdate,
  type EscalationPolicyInput,
  type IncidentWorkflow,
  type Severity,
} from '../../domain/escalation';
import { createMailer } from '../../platform/mailer';
import { putRota, raiseIncident } from '../../app/incidents';
import { incidentWorkflow } from '../../workflows/incident';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { eventually } from '../helpers/eventually';
import { recordHistory, testWorker, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

const MIN = 60_000;
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let smtp: TestSmtp;
let activities: ReturnType<typeof createActivities>;

/** Everyone has an address except the "ghost-" ids: the directory the workflow asks at send time. */
const resolvePeople: ResolvePeople = async (ids) =>
  ids.filter((id) => !id.startsWith('ghost-')).map((id) => ({ personId: id, displayName: `Staff ${id}`, email: `${id}@hospital.test` }));

beforeAll(async () => {
  [env, db, smtp] = await Promise.all([timeSkippingEnv(), freshDatabase(), startTestSmtp()]);
  const mailer = createMailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: smtp.port, SMTP_SECURE: false });
  activities = {
    ...createActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl: 'http://golive.test' }),
    ...createIncidentActivities({ pool: db.pool, resolvePeople }),
  };
});
afterAll(async () => {
  await Promise.all([env?.teardown(), db?.close(), smtp?.close()]);
});

// app/incidents.ts starts the workflow by name with a signature from domain/, not by importing it.
it('is started under the type name and signature that app/ uses', () => {
  const asStarted: IncidentWorkflow = incidentWorkflow; // does not compile if the input or result drifts
  expect(asStarted.name).toBe(incidentWorkflowType);
});

/** Three levels of 15 minutes, one repeat, leadership at the top; person ids prefixed per test. */
function ladder(p: string, over: Partial<EscalationPolicyInput> = {}): EscalationPolicy {
  return EscalationPolicy.parse({
    timeZone: 'Asia/Shanghai',
    levels: [{ people: [`${p}-l1a`, `${p}-l1b`] }, { people: [`${p}-l2`] }, { people: [`${p}-l3`] }],
    repeats: 1,
    leadership: [`${p}-boss`],
    ...over,
  });
}

interface Ctx {
  worker: Worker;
  taskQueue: string;
}
async function withWorker(name: string, fn: (ctx: Ctx) => Promise<void>) {
  const taskQueue = uniqueTaskQueue(name);
  const worker = await testWorker(env, taskQueue, activities);
  await worker.runUntil(fn({ worker, taskQueue }));
}

async function raise(
  taskQueue: string,
  programId: string,
  policy: EscalationPolicy,
  severity: Severity = 'sev2',
  extra: { raiseId?: string; departments?: string[] } = {},
) {
  const raised = await raiseIncident(env.client, taskQueue, {
    programId,
    departments: extra.departments ?? ['ICU'],
    condition: 'step-failed',
    severity,
    counts: { failedSteps: 1 },
    policy,
    raisedBy: 'test',
    raiseId: extra.raiseId,
  });
  return { ...raised, handle: env.client.workflow.getHandle(raised.workflowId) };
}

interface Row {
  kind: string;
  level: number | null;
  round: number | null;
  person_id: string | null;
  min: number;
}
/** The incident's timeline, with times as minutes after it was raised (workflow time). */
async function timeline(incidentId: string): Promise<Row[]> {
  const { rows } = await db.pool.query<Row>(
    `SELECT e.kind, e.level, e.round, e.person_id, extract(epoch FROM e.at - i.raised_at)::float8 * 1000 / 60000 AS min
     FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE e.incident_id = $1 ORDER BY e.at, e.seq`,
    [incidentId],
  );
  return rows;
}
const notified = (rows: Row[]) =>
  rows.filter((r) => r.kind === 'queued').map((r) => `${r.min}m r${r.round} ${r.level ? `L${r.level}` : 'top'} ${r.person_id}`);
const mailsTo = (id: string) => smtp.messages.filter((m) => m.to.includes(`${id}@hospital.test`));

const person = (personId: string, roles: ('viewer' | 'oncall' | 'lead')[] = ['viewer']) => ({
  by: { personId, displayName: `Staff ${personId}`, roles },
});

/**
 * Resolves once every notice sent so far has landed: an activity still in flight when its
 * workflow closes can hold the time-skipping server's clock, and stall the next test's sleep.
 */
async function finish(handle: WorkflowHandle, by = 'closer') {
  await eventually(async () => {
    const { notices } = await handle.query(incidentStatusQuery);
    expect(notices.delivered + notices.failed).toBe(notices.sent);
  });
  await handle.executeUpdate(resolveUpdate, { args: [{ ...person(by, ['oncall']), code: 'fixed' }] });
  return handle.result();
}

describe('incidentWorkflow: the climb', () => {
  it('climbs every level, tells leadership at the top, repeats once, then waits; exact times from the raise', async () => {
    await withWorker('climb', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-climb', ladder('c'));
      await env.sleep(91 * MIN);
      const status = await eventually(async () => {
        const s = await handle.query(incidentStatusQuery);
        expect(s.exhausted).toBe(true);
        expect(s.notices.delivered).toBe(10);
        return s;
      });
      expect(status).toMatchObject({
        status: 'open',
        owner: null,
        position: { round: 2, level: 3 },
        notices: { sent: 10, delivered: 10, failed: 0 },
      });
      const rows = await timeline(raiseId);
      expect(notified(rows)).toEqual([
        '0m r1 L1 c-l1a',
        '0m r1 L1 c-l1b',
        '15m r1 L2 c-l2',
        '30m r1 L3 c-l3',
        '45m r1 top c-boss',
        '45m r2 L1 c-l1a',
        '45m r2 L1 c-l1b',
        '60m r2 L2 c-l2',
        '75m r2 L3 c-l3',
        '90m r2 top c-boss',
      ]);
      expect(rows.filter((r) => r.kind === 'ladder-exhausted').map((r) => r.min)).toEqual([90]);
      expect(mailsTo('c-l1a').map((m) => m.subject)).toEqual([
        '[golive SEV2] prog-climb/ICU: step-failed',
        '[golive SEV2] prog-climb/ICU: step-failed unacknowledged for 45 min',
      ]);
      expect(mailsTo('c-boss').map((m) => m.subject)).toEqual([
        '[golive SEV2] prog-climb/ICU: step-failed unacknowledged for 45 min',
        '[golive SEV2] prog-climb/ICU: step-failed unacknowledged for 90 min',
      ]);
      expect(mailsTo('c-boss')[0]!.text).toContain('you are told as leadership');
      expect(mailsTo('c-l2')).toHaveLength(2);
      expect(mailsTo('c-l1a')[0]!.text).toMatch(new RegExp(`Details: http://golive.test/incidents/${raiseId}\\n`));
      expect(mailsTo('c-l1a')[0]!.text).toMatch(
        /Acknowledge \(you will be asked to confirm who you are\): http:\/\/golive\.test\/ack\/[A-Za-z0-9_-]{43}\n/,
      );
      expect((await finish(handle)).status).toBe('resolved');
      await recordHistory(handle, 'incident-climb');
    });
  });

  it('an acknowledgement at level 2 stops the climb and names the owner; a second one is refused with the owner', async () => {
    await withWorker('ack', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-ack', ladder('a'));
      await env.sleep(16 * MIN);
      const owner = await handle.executeUpdate(acknowledgeUpdate, { args: [person('a-l2')] });
      expect(owner).toMatchObject({ personId: 'a-l2', displayName: 'Staff a-l2' });

      const second = await handle.executeUpdate(acknowledgeUpdate, { args: [person('a-l1a')] }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((second as WorkflowUpdateFailedError).cause).toMatchObject({
        type: 'InvalidState',
        message: 'already acknowledged by Staff a-l2',
        details: [{ owner: { personId: 'a-l2' } }],
      });

      await env.sleep(50 * MIN);
      const status = await handle.query(incidentStatusQuery);
      expect(status).toMatchObject({ status: 'acknowledged', owner: { personId: 'a-l2' }, position: { round: 1, level: 2 } });
      const rows = await timeline(raiseId);
      expect(notified(rows)).toEqual(['0m r1 L1 a-l1a', '0m r1 L1 a-l1b', '15m r1 L2 a-l2']);
      expect(rows.filter((r) => r.kind === 'acknowledged').map((r) => r.person_id)).toEqual(['a-l2']);
      // Everyone told hears who owns it; the owner does not need to.
      await smtp.waitFor(() => mailsTo('a-l1b').length === 2);
      expect(mailsTo('a-l1a').map((m) => m.subject)).toEqual([
        '[golive SEV2] prog-ack/ICU: step-failed',
        '[golive SEV2] prog-ack/ICU: step-failed acknowledged by Staff a-l2',
      ]);
      expect(mailsTo('a-l2')).toHaveLength(1);
      expect(mailsTo('a-l3')).toHaveLength(0);
      expect((await finish(handle, 'a-l2')).status).toBe('resolved');
      await recordHistory(handle, 'incident-acknowledged');
    });
  });

  it('only a person on the ladder, on call or a lead may acknowledge', async () => {
    await withWorker('ack-who', async ({ taskQueue }) => {
      const { handle } = await raise(taskQueue, 'prog-who', ladder('w'));
      const refused = await handle.executeUpdate(acknowledgeUpdate, { args: [person('outsider')] }).catch((e: unknown) => e);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'NotAllowed' });
      expect(await handle.executeUpdate(acknowledgeUpdate, { args: [person('someone-on-call', ['oncall'])] })).toMatchObject({
        personId: 'someone-on-call',
      });
      expect((await finish(handle)).status).toBe('resolved');
    });
  });

  it('acknowledged but not resolved within the hour: reminds the owner and climbs again from the next level', async () => {
    await withWorker('overdue', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-overdue', ladder('o'));
      await env.sleep(16 * MIN);
      await handle.executeUpdate(acknowledgeUpdate, { args: [person('o-l2')] });
      await env.sleep(61 * MIN);
      const rows = await eventually(async () => {
        const r = await timeline(raiseId);
        expect(r.some((x) => x.kind === 'queued' && x.level === 3)).toBe(true);
        return r;
      });
      const ackAt = rows.find((r) => r.kind === 'acknowledged')!.min;
      expect(ackAt).toBeGreaterThanOrEqual(16);
      const overdue = rows.find((r) => r.kind === 'resolution-overdue')!;
      expect(overdue).toMatchObject({ person_id: 'o-l2', level: 2, round: 1 });
      expect(overdue.min - ackAt).toBeCloseTo(60, 6);
      const l3 = rows.find((r) => r.kind === 'queued' && r.level === 3)!;
      expect(l3.min - ackAt).toBeCloseTo(60, 6);
      expect(await handle.query(incidentStatusQuery)).toMatchObject({ status: 'open', owner: null, position: { round: 1, level: 3 } });
      await smtp.waitFor(() => mailsTo('o-l2').length === 2 && mailsTo('o-l3').length === 1);
      expect(mailsTo('o-l2')[1]!.subject).toBe('[golive SEV2] prog-overdue/ICU: step-failed not resolved 60 min after acknowledgement');
      expect(mailsTo('o-l3')[0]!.subject).toBe('[golive SEV2] prog-overdue/ICU: step-failed unacknowledged for 0 min');
      expect((await finish(handle)).status).toBe('resolved');
    });
  });

  it('resolution closes the incident, tells everyone, expires its acknowledge links', async () => {
    await withWorker('resolve', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-resolve', ladder('r'));
      await env.sleep(20 * MIN);
      const result = await finish(handle, 'r-l2');
      expect(result).toMatchObject({ status: 'resolved', resolutionCode: 'fixed', owner: null });
      const { rows } = await db.pool.query('SELECT status, resolution_code, resolved_by FROM incidents WHERE id = $1', [raiseId]);
      expect(rows).toEqual([{ status: 'resolved', resolution_code: 'fixed', resolved_by: 'r-l2' }]);
      const live = await db.pool.query('SELECT count(*)::int AS n FROM incident_ack_tokens WHERE incident_id = $1 AND expires_at > now()', [
        raiseId,
      ]);
      expect(live.rows[0].n).toBe(0);
      expect(mailsTo('r-l1a').at(-1)!.subject).toBe('[golive SEV2] prog-resolve/ICU: step-failed resolved (fixed)');
      expect(mailsTo('r-l2')).toHaveLength(1);
    });
  });
});

describe('incidentWorkflow: deduplication and severity', () => {
  it('a repeat of an open condition counts without e-mailing again; after resolution it opens a new incident', async () => {
    await withWorker('dedupe', async ({ taskQueue }) => {
      const first = await raise(taskQueue, 'prog-dedupe', ladder('d'));
      const second = await raise(taskQueue, 'prog-dedupe', ladder('d'));
      const retried = await raise(taskQueue, 'prog-dedupe', ladder('d'), 'sev2', { raiseId: second.raiseId });
      expect(second.workflowId).toBe(first.workflowId);
      expect(retried.runId).toBe(first.runId);
      await env.sleep(5 * MIN);
      const status = await eventually(async () => {
        const s = await first.handle.query(incidentStatusQuery);
        expect(s.notices.delivered).toBe(2);
        return s;
      });
      expect(status).toMatchObject({ incidentId: first.raiseId, repeats: 1 });
      expect(mailsTo('d-l1a')).toHaveLength(1);
      expect((await timeline(first.raiseId)).filter((r) => r.kind === 'repeated')).toHaveLength(1);

      await finish(first.handle);
      const third = await raise(taskQueue, 'prog-dedupe', ladder('d'));
      expect(third.runId).not.toBe(first.runId);
      expect((await third.handle.query(incidentStatusQuery)).incidentId).toBe(third.raiseId);
      await finish(third.handle);
    });
  });

  it('other departments are other incidents', async () => {
    await withWorker('dedupe-dept', async ({ taskQueue }) => {
      const icu = await raise(taskQueue, 'prog-depts', ladder('dd'));
      const lab = await raise(taskQueue, 'prog-depts', ladder('dd'), 'sev2', { departments: ['LAB'] });
      expect(icu.workflowId).toBe('incident:prog-depts:step-failed:ICU');
      expect(lab.workflowId).toBe('incident:prog-depts:step-failed:LAB');
      // One at a time: two concurrent result() calls on the time-skipping client unlock its clock twice.
      await finish(icu.handle);
      await finish(lab.handle);
    });
  });

  it('sev1 starts at level 2 and tells leadership at once; sev3 starts at level 1', async () => {
    await withWorker('severity', async ({ taskQueue }) => {
      const sev1 = await raise(taskQueue, 'prog-sev-one', ladder('s1'), 'sev1');
      const sev3 = await raise(taskQueue, 'prog-sev-three', ladder('s3'), 'sev3');
      await env.sleep(1 * MIN);
      await eventually(async () => {
        expect(notified(await timeline(sev1.raiseId))).toEqual(['0m r1 top s1-boss', '0m r1 L2 s1-l2']);
        expect(notified(await timeline(sev3.raiseId))).toEqual(['0m r1 L1 s3-l1a', '0m r1 L1 s3-l1b']);
      });
      await smtp.waitFor(() => mailsTo('s1-boss').length === 1);
      expect(mailsTo('s1-boss')[0]!.text).toContain('leadership is told at once');
      await finish(sev1.handle);
      await finish(sev3.handle);
    });
  });
});

describe('incidentWorkflow: rota and SMTP', () => {
  it('asks the rota at the moment a level is reached: the midnight hand-over in Asia/Shanghai', async () => {
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    await putRota(
      db.pool,
      'prog-rota',
      'primary',
      {
        timeZone: 'Asia/Shanghai',
        shifts: days.flatMap((day) => [
          { day, from: '00:00', people: [`night-${day}`] },
          { day, from: '08:00', people: [`day-${day}`] },
          { day, from: '20:00', people: [`eve-${day}`] },
        ]),
      },
      'test',
    );
    // To the next 23:50 in Shanghai (UTC+8, no daylight saving): 15:50 UTC.
    const now = await env.currentTimeMs();
    const d = new Date(now);
    let target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 15, 50);
    if (target <= now) target += 86_400_000;
    await env.sleep(target - now);
    const localDay = (ms: number) => days[(new Date(ms + 8 * 3_600_000).getUTCDay() + 6) % 7]!;
    const before = localDay(target + MIN);
    const after = localDay(target + 20 * MIN);
    expect(after).not.toBe(before);

    await withWorker('rota', async ({ taskQueue }) => {
      const policy = EscalationPolicy.parse({
        timeZone: 'Asia/Shanghai',
        levels: [{ rota: 'primary' }, { people: ['rota-l2'] }],
        repeats: 1,
      });
      const { handle, raiseId } = await raise(taskQueue, 'prog-rota', policy);
      await env.sleep(31 * MIN);
      await eventually(async () => {
        expect(notified(await timeline(raiseId))).toEqual([`0m r1 L1 eve-${before}`, `15m r1 L2 rota-l2`, `30m r2 L1 night-${after}`]);
      });
      await finish(handle);
    });
  });

  it('SMTP down for 10 simulated minutes: the level-1 notices arrive once it is back, exactly once each; level 2 goes out on time', async () => {
    await withWorker('smtp', async ({ taskQueue }) => {
      smtp.down(true);
      const { handle, raiseId } = await raise(taskQueue, 'prog-smtp', ladder('m'));
      try {
        await env.sleep(10 * MIN);
        await eventually(async () => {
          const { rows } = await db.pool.query(
            `SELECT count(*)::int AS n FROM email_outbox WHERE idempotency_key LIKE 'incident:prog-smtp:%' AND attempts >= 3`,
          );
          expect(rows[0].n).toBe(2);
        });
        expect(mailsTo('m-l1a')).toHaveLength(0);
      } finally {
        smtp.down(false);
      }
      await env.sleep(6 * MIN);
      await eventually(async () => {
        expect((await handle.query(incidentStatusQuery)).notices).toEqual({ sent: 3, delivered: 3, failed: 0 });
      });
      const rows = await timeline(raiseId);
      expect(notified(rows)).toEqual(['0m r1 L1 m-l1a', '0m r1 L1 m-l1b', '15m r1 L2 m-l2']);
      const delivered = rows.filter((r) => r.kind === 'delivered' && r.level === 1);
      expect(delivered).toHaveLength(2);
      for (const r of delivered) expect(r.min).toBeGreaterThanOrEqual(10);
      expect(rows.some((r) => r.kind === 'delivery-overdue' || r.kind === 'delivery-failed')).toBe(false);
      for (const id of ['m-l1a', 'm-l1b', 'm-l2']) expect(mailsTo(id)).toHaveLength(1);
      const outbox = await db.pool.query(
        `SELECT status, count(*)::int AS n FROM email_outbox WHERE idempotency_key LIKE 'incident:prog-smtp:%' GROUP BY status`,
      );
      expect(outbox.rows).toEqual([{ status: 'sent', n: 3 }]);
      await finish(handle);
    });
  });

  it('a notice undeliverable past its level timeout does not hold the climb, and the timeline says so', async () => {
    await withWorker('smtp-long', async ({ taskQueue }) => {
      smtp.down(true);
      const { handle, raiseId } = await raise(taskQueue, 'prog-smtp-long', ladder('n'));
      try {
        await env.sleep(16 * MIN);
        await eventually(async () => {
          const rows = await timeline(raiseId);
          expect(notified(rows)).toEqual(['0m r1 L1 n-l1a', '0m r1 L1 n-l1b', '15m r1 L2 n-l2']);
          expect(rows.filter((r) => r.kind === 'delivery-overdue').map((r) => `${r.min}m ${r.person_id}`)).toEqual([
            '15m n-l1a',
            '15m n-l1b',
          ]);
        });
      } finally {
        smtp.down(false);
      }
      await env.sleep(3 * MIN);
      await eventually(async () => expect((await handle.query(incidentStatusQuery)).notices.delivered).toBe(3));
      for (const id of ['n-l1a', 'n-l1b', 'n-l2']) expect(mailsTo(id)).toHaveLength(1);
      await finish(handle);
    });
  });

  it('the timeline says queued while SMTP is down and delivered once it accepts; an acknowledgement stops the queued rest', async () => {
    await withWorker('queued', async ({ taskQueue }) => {
      smtp.down(true);
      const { handle, raiseId } = await raise(taskQueue, 'prog-queued', ladder('q'));
      const kinds = async (personId: string) => (await timeline(raiseId)).filter((r) => r.person_id === personId).map((r) => r.kind);
      try {
        await env.sleep(2 * MIN);
        await eventually(async () => {
          const { rows } = await db.pool.query(
            `SELECT count(*)::int AS n FROM email_outbox WHERE idempotency_key LIKE 'incident:prog-queued:%' AND attempts >= 2`,
          );
          expect(rows[0].n).toBe(2);
        });
        // SMTP has refused every try so far: queued, not delivered.
        expect(await kinds('q-l1a')).toEqual(['queued']);
        expect(await kinds('q-l1b')).toEqual(['queued']);
        expect(mailsTo('q-l1a')).toHaveLength(0);
      } finally {
        smtp.down(false);
      }
      await env.sleep(3 * MIN);
      await eventually(async () => {
        expect(await kinds('q-l1a')).toEqual(['queued', 'delivered']);
        expect(await kinds('q-l1b')).toEqual(['queued', 'delivered']);
      });
      const rows = await timeline(raiseId);
      for (const r of rows.filter((x) => x.kind === 'delivered')) expect(r.min).toBeGreaterThanOrEqual(2);
      expect(mailsTo('q-l1a')).toHaveLength(1);

      // Down again when level 2 is reached; level 1 acknowledges before SMTP is back.
      smtp.down(true);
      try {
        await env.sleep(11 * MIN);
        await eventually(async () => expect(await kinds('q-l2')).toEqual(['queued']));
        await handle.executeUpdate(acknowledgeUpdate, { args: [person('q-l1a', ['oncall'])] });
        await eventually(async () => expect(await kinds('q-l2')).toEqual(['queued', 'send-stopped']));
      } finally {
        smtp.down(false);
      }
      await handle.executeUpdate(resolveUpdate, { args: [{ ...person('q-l1a', ['oncall']), code: 'fixed' }] });
      await handle.result();
      // The level-2 page never went out; the acknowledgement and resolution notices did, once SMTP was back.
      expect(mailsTo('q-l2').some((m) => m.text.includes('/ack/'))).toBe(false);
      const detail = (await timeline(raiseId)).find((r) => r.kind === 'send-stopped')!;
      expect(detail).toMatchObject({ level: 2, round: 1, person_id: 'q-l2' });
    });
  });

  it('records a person without an address instead of failing', async () => {
    await withWorker('ghost', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-ghost', ladder('g', { levels: [{ people: ['ghost-x', 'g-l1'] }] }));
      await eventually(async () => {
        const rows = await timeline(raiseId);
        expect(rows.filter((r) => r.kind === 'no-address').map((r) => r.person_id)).toEqual(['ghost-x']);
        expect(notified(rows)).toEqual(['0m r1 L1 g-l1']);
      });
      await finish(handle);
    });
  });
});
