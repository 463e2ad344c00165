/** The incident workflow against the rota and SMTP: who is told when, and what an outage does. */
import { describe, expect, it } from 'vitest';
import { acknowledgeUpdate, EscalationPolicy, incidentStatusQuery, resolveUpdate } from '../../domain/escalation';
import { putRota } from '../../app/incidents';
import { eventually } from '../helpers/eventually';
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
import { skipTime } from '../helpers/temporal';

useIncidentEnvironment();

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
    await skipTime(env, target - now);
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
      await skipTime(env, 31 * MIN);
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
        await skipTime(env, 10 * MIN);
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
      await skipTime(env, 6 * MIN);
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
        await skipTime(env, 16 * MIN);
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
      await skipTime(env, 3 * MIN);
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
        await skipTime(env, 2 * MIN);
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
      await skipTime(env, 3 * MIN);
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
        await skipTime(env, 11 * MIN);
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
