import { ServiceError, WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailableDependency } from '../../api/dependencies';
import { createPool } from '../../platform/db';
import { freshDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('deps');
});
afterAll(async () => {
  await db?.close();
});

// gRPC status codes, and an error of the shape @grpc/grpc-js gives the Temporal client.
const grpcStatus = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 };
const grpcError = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, details: 'x', metadata: {} });

describe('which dependency an error shows to be down', () => {
  it("names PostgreSQL for the API pool's statement timeout, and nothing for an ordinary SQL error", async () => {
    const pool = createPool(db.url, 1, { connectMs: 2_000, statementMs: 200 });
    try {
      const slow = await pool.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
      expect((slow as { code?: string }).code).toBe('57014');
      expect(unavailableDependency(slow)).toBe('postgres');
      const wrong = await pool.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(unavailableDependency(wrong)).toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('names PostgreSQL for a server that answers nothing on an open connection (client-side query timeout)', async () => {
    const pool = createPool(db.url, 1, { connectMs: 2_000, queryMs: 300 });
    try {
      const err = await pool.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
      expect((err as Error).message).toBe('Query read timeout');
      expect(unavailableDependency(err)).toBe('postgres');
    } finally {
      await pool.end();
    }
  });

  it('names Temporal for unreachable, overloaded or timed-out calls, and nothing for answers about the request', () => {
    for (const code of [grpcStatus.UNAVAILABLE, grpcStatus.DEADLINE_EXCEEDED, grpcStatus.RESOURCE_EXHAUSTED, grpcStatus.CANCELLED]) {
      expect(unavailableDependency(new ServiceError('call failed', { cause: grpcError(code) })), String(code)).toBe('temporal');
      expect(unavailableDependency(grpcError(code)), String(code)).toBe('temporal');
    }
    expect(unavailableDependency(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout'))).toBe('temporal');
    expect(unavailableDependency(new ServiceError('bad', { cause: grpcError(grpcStatus.INVALID_ARGUMENT) }))).toBeUndefined();
    expect(unavailableDependency(new WorkflowNotFoundError('gone', 'wf', undefined))).toBeUndefined();
    expect(unavailableDependency(new Error('a bug'))).toBeUndefined();
    expect(unavailableDependency(undefined)).toBeUndefined();
  });
});
