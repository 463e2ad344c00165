/** The incident workflow: its contract with app/ and the ladder's climb, acknowledgement, resolution. */
import { describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { acknowledgeUpdate, incidentStatusQuery, incidentWorkflowType, type IncidentWorkflow } from '../../domain/escalation';
import { incidentWorkflow } from '../../workflows/incident';
import { eventually } from '../helpers/eventually';
import { recordHistory, skipTime } from '../helpers/temporal';
import {
  db,
  env,
  finish,
  ladder,
  mailsTo,
  MIN,
  notified,
  person,
  raise,
  smtp,
  timeline,
  useIncidentEnvironment,
  withWorker,
} from '../helpers/incident';

useIncidentEnvironment();

// app/incidents.ts starts the workflow by name with a signature from domain/, not by importing it.
it('is started under the type name and signature that app/ uses', () => {
  const asStarted: IncidentWorkflow = incidentWorkflow; // does not compile if the input or result drifts
  expect(asStarted.name).toBe(incidentWorkflowType);
});

describe('incidentWorkflow: the climb', () => {
  it('climbs every level, tells leadership at the top, repeats once, then waits; exact times from the raise', async () => {
    await withWorker('climb', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-climb', ladder('c'));
      await skipTime(env, 91 * MIN);
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
        '[golive SEV2] prog-climb/ICU: a go-live step failed',
        '[golive SEV2] prog-climb/ICU: a go-live step failed, unacknowledged for 45 minutes',
      ]);
      expect(mailsTo('c-boss').map((m) => m.subject)).toEqual([
        '[golive SEV2] prog-climb/ICU: a go-live step failed, unacknowledged for 45 minutes',
        '[golive SEV2] prog-climb/ICU: a go-live step failed, unacknowledged for 90 minutes',
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
      await skipTime(env, 16 * MIN);
      const owner = await handle.executeUpdate(acknowledgeUpdate, { args: [person('a-l2')] });
      expect(owner).toMatchObject({ personId: 'a-l2', displayName: 'Staff a-l2' });

      const second = await handle.executeUpdate(acknowledgeUpdate, { args: [person('a-l1a')] }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((second as WorkflowUpdateFailedError).cause).toMatchObject({
        type: 'InvalidState',
        message: 'already acknowledged by Staff a-l2',
        details: [{ owner: { personId: 'a-l2' } }],
      });

      await skipTime(env, 50 * MIN);
      const status = await handle.query(incidentStatusQuery);
      expect(status).toMatchObject({ status: 'acknowledged', owner: { personId: 'a-l2' }, position: { round: 1, level: 2 } });
      const rows = await timeline(raiseId);
      expect(notified(rows)).toEqual(['0m r1 L1 a-l1a', '0m r1 L1 a-l1b', '15m r1 L2 a-l2']);
      expect(rows.filter((r) => r.kind === 'acknowledged').map((r) => r.person_id)).toEqual(['a-l2']);
      // Everyone told hears who owns it; the owner does not need to.
      await smtp.waitFor(() => mailsTo('a-l1b').length === 2);
      expect(mailsTo('a-l1a').map((m) => m.subject)).toEqual([
        '[golive SEV2] prog-ack/ICU: a go-live step failed',
        '[golive SEV2] prog-ack/ICU: a go-live step failed, acknowledged by Staff a-l2',
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
      await skipTime(env, 16 * MIN);
      await handle.executeUpdate(acknowledgeUpdate, { args: [person('o-l2')] });
      await skipTime(env, 61 * MIN);
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
      expect(mailsTo('o-l2')[1]!.subject).toBe(
        '[golive SEV2] prog-overdue/ICU: a go-live step failed, not resolved 60 minutes after acknowledgement',
      );
      expect(mailsTo('o-l3')[0]!.subject).toBe('[golive SEV2] prog-overdue/ICU: a go-live step failed, unacknowledged for 0 minutes');
      expect((await finish(handle)).status).toBe('resolved');
    });
  });

  it('resolution closes the incident, tells everyone, expires its acknowledge links', async () => {
    await withWorker('resolve', async ({ taskQueue }) => {
      const { handle, raiseId } = await raise(taskQueue, 'prog-resolve', ladder('r'));
      await skipTime(env, 20 * MIN);
      const result = await finish(handle, 'r-l2');
      expect(result).toMatchObject({ status: 'resolved', resolutionCode: 'fixed', owner: null });
      const { rows } = await db.pool.query('SELECT status, resolution_code, resolved_by FROM incidents WHERE id = $1', [raiseId]);
      expect(rows).toEqual([{ status: 'resolved', resolution_code: 'fixed', resolved_by: 'r-l2' }]);
      const live = await db.pool.query('SELECT count(*)::int AS n FROM incident_ack_tokens WHERE incident_id = $1 AND expires_at > now()', [
        raiseId,
      ]);
      expect(live.rows[0].n).toBe(0);
      expect(mailsTo('r-l1a').at(-1)!.subject).toBe('[golive SEV2] prog-resolve/ICU: a go-live step failed, resolved (fixed)');
      expect(mailsTo('r-l2')).toHaveLength(1);
    });
  });
});
