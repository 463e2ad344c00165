/**
 * The incident workflow tests' shared harness (tests/workflow/incident*.test.ts): a time-skipping
 * server, a database and an SMTP catcher per test file, the ladder fixture and timeline readers.
 * env, db, smtp and activities are live bindings, set by useIncidentEnvironment()'s beforeAll.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createIncidentActivities } from '../../activities/incidents';
import { peopleTableResolver, type ResolvePeople } from '../../app/people';
import { EscalationPolicy, incidentStatusQuery, resolveUpdate, type EscalationPolicyInput, type Severity } from '../../domain/escalation';
import { createMailer } from '../../platform/mailer';
import { raiseIncident } from '../../app/incidents';
import { freshDatabase, type TestDatabase } from './db';
import { startTestSmtp, type TestSmtp } from './smtp';
import { eventually } from './eventually';
import { testWorker, timeSkippingEnv, uniqueTaskQueue } from './temporal';

export const MIN = 60_000;
export let env: TestWorkflowEnvironment;
export let db: TestDatabase;
export let smtp: TestSmtp;
export let activities: ReturnType<typeof createActivities>;

/**
 * The directory the workflow asks at send time: people a test added to the table come from it
 * (with their language); everyone else has an address, except the "ghost-" ids.
 */
const resolvePeople: ResolvePeople = async (ids) => {
  const inTable = await peopleTableResolver(db.pool)(ids);
  const known = new Set(inTable.map((p) => p.personId));
  return [
    ...inTable,
    ...ids
      .filter((id) => !id.startsWith('ghost-') && !known.has(id))
      .map((id) => ({ personId: id, displayName: `Staff ${id}`, email: `${id}@hospital.test` })),
  ];
};

/** Starts the file's servers before its tests and stops them after. */
export function useIncidentEnvironment() {
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
}

/** Three levels of 15 minutes, one repeat, leadership at the top; person ids prefixed per test. */
export function ladder(p: string, over: Partial<EscalationPolicyInput> = {}): EscalationPolicy {
  return EscalationPolicy.parse({
    timeZone: 'Asia/Shanghai',
    levels: [{ people: [`${p}-l1a`, `${p}-l1b`] }, { people: [`${p}-l2`] }, { people: [`${p}-l3`] }],
    repeats: 1,
    leadership: [`${p}-boss`],
    ...over,
  });
}

export interface Ctx {
  worker: Worker;
  taskQueue: string;
}
export async function withWorker(name: string, fn: (ctx: Ctx) => Promise<void>) {
  const taskQueue = uniqueTaskQueue(name);
  const worker = await testWorker(env, taskQueue, activities);
  await worker.runUntil(fn({ worker, taskQueue }));
}

export async function raise(
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

export interface Row {
  kind: string;
  level: number | null;
  round: number | null;
  person_id: string | null;
  min: number;
}
/** The incident's timeline, with times as minutes after it was raised (workflow time). */
export async function timeline(incidentId: string): Promise<Row[]> {
  const { rows } = await db.pool.query<Row>(
    `SELECT e.kind, e.level, e.round, e.person_id, extract(epoch FROM e.at - i.raised_at)::float8 * 1000 / 60000 AS min
     FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE e.incident_id = $1 ORDER BY e.at, e.seq`,
    [incidentId],
  );
  return rows;
}
export const notified = (rows: Row[]) =>
  rows.filter((r) => r.kind === 'queued').map((r) => `${r.min}m r${r.round} ${r.level ? `L${r.level}` : 'top'} ${r.person_id}`);
export const mailsTo = (id: string) => smtp.messages.filter((m) => m.to.includes(`${id}@hospital.test`));

export const person = (personId: string, roles: ('viewer' | 'oncall' | 'lead')[] = ['viewer']) => ({
  by: { personId, displayName: `Staff ${personId}`, roles },
});

/**
 * Resolves once every notice sent so far has landed: an activity still in flight when its
 * workflow closes can hold the time-skipping server's clock, and stall the next test's sleep.
 */
export async function finish(handle: WorkflowHandle, by = 'closer') {
  await eventually(async () => {
    const { notices } = await handle.query(incidentStatusQuery);
    expect(notices.delivered + notices.failed).toBe(notices.sent);
  });
  await handle.executeUpdate(resolveUpdate, { args: [{ ...person(by, ['oncall']), code: 'fixed' }] });
  return handle.result();
}
