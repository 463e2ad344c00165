import { ApplicationFailure } from '@temporalio/activity';
import { ServiceError } from '@temporalio/client';
import type { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hospitalAdapters, type StepCall } from '../../adapters/hospital';
import { failFast, permanentFailure } from '../../activities/failures';
import { createAdapterActivities } from '../../activities/hospital';
import { createNotifyActivities } from '../../activities/notify';
import { ErrorType, nonRetryableErrorTypes } from '../../domain/errors';

const grpc = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, details: 'x', metadata: {} });

describe('errors that no retry can fix fail fast', () => {
  it('classifies Temporal refusals, schema errors; leaves passing failures retryable', () => {
    const invalid = permanentFailure(new ServiceError('Failed to signalWithStart Workflow', { cause: grpc(3) }));
    expect(invalid).toMatchObject({ type: ErrorType.TemporalRejected, nonRetryable: true, details: [{ grpcStatus: 3 }] });
    expect(permanentFailure(grpc(7))).toMatchObject({ type: ErrorType.TemporalRejected });
    const zodError = z.object({ a: z.number() }).safeParse({ a: 'Zhang San 1962-03-04' }).error;
    const schema = permanentFailure(zodError);
    expect(schema).toMatchObject({ type: ErrorType.InvalidInput, nonRetryable: true });
    // The refused value (it may be patient data) is not repeated in the failure.
    expect(JSON.stringify(schema)).not.toContain('Zhang');
    expect(schema!.message).not.toContain('Zhang');
    for (const passing of [
      grpc(14),
      grpc(4),
      new ServiceError('unavailable', { cause: grpc(14) }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new Error('socket hang up'),
    ]) {
      expect(permanentFailure(passing)).toBeUndefined();
    }
    expect(permanentFailure(ApplicationFailure.create({ type: ErrorType.ComparisonFailed, message: 'x' }))).toBeUndefined();
    for (const t of [ErrorType.TemporalRejected, ErrorType.UnknownAdapter, ErrorType.InvalidInput])
      expect(nonRetryableErrorTypes).toContain(t);
    expect(nonRetryableErrorTypes).not.toContain(ErrorType.ComparisonFailed);
  });

  it('wraps activities: a refusal becomes non-retryable, anything else passes through unchanged', async () => {
    const passing = new Error('timeout');
    const acts = failFast({
      refused: async () => {
        throw grpc(3);
      },
      flaky: async () => {
        throw passing;
      },
      fine: async (n: number) => n + 1,
    });
    await expect(acts.refused()).rejects.toMatchObject({ type: ErrorType.TemporalRejected, nonRetryable: true });
    await expect(acts.flaky()).rejects.toBe(passing);
    expect(await acts.fine(1)).toBe(2);
  });

  it('refuses a step for an adapter kind the worker does not have, for good', async () => {
    const { runStep } = failFast(createAdapterActivities({ adapterFor: hospitalAdapters({ pool: {} as Pool, secrets: {} }) }));
    const call = { adapter: { id: 'lis', kind: 'ftp' }, step: { id: 's', system: 'LIS' }, direction: 'apply' } as unknown as StepCall;
    await expect(runStep(call)).rejects.toMatchObject({ type: ErrorType.UnknownAdapter, nonRetryable: true });
  });

  it('mails everyone else when one address is refused for good, and names who was refused', async () => {
    const sent: string[] = [];
    const { notifyPeople } = createNotifyActivities({
      resolvePeople: async (ids) => ids.map((id) => ({ personId: id, displayName: id, email: `${id}@hospital.test` })),
      sendEmail: async ({ to }) => {
        if (to.startsWith('p-bad'))
          throw ApplicationFailure.create({ type: ErrorType.MailRejected, nonRetryable: true, message: 'SMTP refused the message (550)' });
        sent.push(to);
        return { messageId: 'm', sentAt: new Date().toISOString(), duplicate: false };
      },
    });
    const message = { template: 'test' } as never;
    expect(await notifyPeople({ personIds: ['p-a', 'p-bad', 'p-c'], message, keyPrefix: 'k' })).toEqual({
      sent: 2,
      noAddress: [],
      rejected: ['p-bad'],
    });
    expect(sent).toEqual(['p-a@hospital.test', 'p-c@hospital.test']);
    // A passing SMTP failure still fails the whole activity, to be retried.
    const { notifyPeople: flaky } = createNotifyActivities({
      resolvePeople: async (ids) => ids.map((id) => ({ personId: id, displayName: id, email: `${id}@hospital.test` })),
      sendEmail: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    await expect(flaky({ personIds: ['p-a'], message, keyPrefix: 'k' })).rejects.toThrow('ECONNREFUSED');
  });
});
