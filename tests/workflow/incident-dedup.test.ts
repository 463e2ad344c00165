/** The incident workflow: repeats of a condition fold into one incident; severity picks the start. */
import { describe, expect, it } from 'vitest';
import { incidentStatusQuery } from '../../domain/escalation';
import { eventually } from '../helpers/eventually';
import {
  env,
  finish,
  ladder,
  mailsTo,
  MIN,
  notified,
  raise,
  smtp,
  timeline,
  useIncidentEnvironment,
  withWorker,
} from '../helpers/incident';
import { skipTime } from '../helpers/temporal';

useIncidentEnvironment();

describe('incidentWorkflow: deduplication and severity', () => {
  it('a repeat of an open condition counts without e-mailing again; after resolution it opens a new incident', async () => {
    await withWorker('dedupe', async ({ taskQueue }) => {
      const first = await raise(taskQueue, 'prog-dedupe', ladder('d'));
      const second = await raise(taskQueue, 'prog-dedupe', ladder('d'));
      const retried = await raise(taskQueue, 'prog-dedupe', ladder('d'), 'sev2', { raiseId: second.raiseId });
      expect(second.workflowId).toBe(first.workflowId);
      expect(retried.runId).toBe(first.runId);
      await skipTime(env, 5 * MIN);
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
      await skipTime(env, 1 * MIN);
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
