import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hospitalAdapters, type HospitalAdapter } from '../../adapters/hospital';
import { createDowntimeActivities } from '../../activities/downtime';
import { failFast } from '../../activities/failures';
import { createAdapterActivities } from '../../activities/hospital';
import { ErrorType } from '../../domain/errors';
import { Adapter } from '../../domain/plan';
import { freshDatabase, type TestDatabase } from '../helpers/db';

let db: TestDatabase;
let server: Server;
let baseUrl: string;
/** What the vendor's system received, in order. */
const received: { method: string; url: string; key: string | undefined; auth: string | undefined; body: string }[] = [];
/** The vendor's answer to the next requests, by path (default 200 with the snapshot). */
const answers = new Map<string, { status: number; body: string }>();
const vendorSnapshot = {
  census: [
    { bed: 'ICU-01', patientId: 'V-1', name: '王芳' },
    { bed: 'ICU-02', patientId: 'V-2', name: 'Zhang Wei' },
    { bed: 'ICU-03', patientId: 'V-3', name: '欧阳娜' },
  ],
  activeOrders: [{ patientId: 'V-1', order: 'heparin' }],
  pendingResults: [
    { patientId: 'V-2', test: 'K' },
    { patientId: 'V-3', test: 'CBC' },
  ],
};

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

beforeAll(async () => {
  db = await freshDatabase('adapters');
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({
      method: req.method!,
      url: req.url!,
      key: req.headers['idempotency-key'] as string | undefined,
      auth: req.headers.authorization,
      body,
    });
    const answer = answers.get(req.url!) ?? {
      status: 200,
      body: JSON.stringify(req.url!.includes('/leave') ? { ok: true } : vendorSnapshot),
    };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await db?.close();
});

const activities = (adapters?: Partial<Record<'http' | 'simulated', HospitalAdapter>>) => {
  const adapterFor = hospitalAdapters({ pool: db.pool, secrets: { ICU_TOKEN: 'secret-token' }, adapters });
  return failFast({ ...createDowntimeActivities({ pool: db.pool, adapterFor }), ...createAdapterActivities({ adapterFor }) });
};
const simulated = Adapter.parse({ id: 'sim', kind: 'simulated' });
const http = (downtime = true, settings: { baseUrl?: string; timeoutMs?: number } = {}) =>
  Adapter.parse({
    id: 'icu-emr',
    kind: 'http',
    baseUrl,
    ...settings,
    headers: { authorization: { secretEnv: 'ICU_TOKEN' } },
    ...(downtime && {
      downtime: {
        enter: {
          method: 'POST',
          path: '/departments/{{department}}/downtime',
          body: '{"program":"{{programId}}","emergency":{{attempt}}}',
        },
        leave: { method: 'DELETE', path: '/departments/{{department}}/downtime' },
      },
    }),
  });
const state = async (programId: string, department: string) =>
  (
    await db.pool.query<{ state: string }>('SELECT state FROM simulated_downtime WHERE program_id = $1 AND department = $2', [
      programId,
      department,
    ])
  ).rows[0]?.state;
const packet = async (programId: string, emergency: number, department: string) =>
  (
    await db.pool.query(
      'SELECT id, census_count, active_orders_count, pending_results_count, forms, content FROM downtime_packet WHERE program_id = $1 AND emergency = $2 AND department = $3',
      [programId, emergency, department],
    )
  ).rows[0];

describe('the simulated hospital on downtime', () => {
  it('switches a department to downtime and back, with the same packet of the same demo patients as before the move', async () => {
    const { enterDowntime, leaveDowntime } = activities();
    const first = await enterDowntime({
      programId: 'demo-program',
      emergency: 1,
      department: 'LAB',
      adapter: simulated,
      forms: ['downtime-order', 'lab-requisition'],
    });
    // Pinned from the code before it moved to adapters/: 12 beds, every other one with an order, every third awaiting a result.
    expect(first).toMatchObject({ census: 12, activeOrders: 6, pendingResults: 4 });
    expect(await state('demo-program', 'LAB')).toBe('downtime');
    const row = await packet('demo-program', 1, 'LAB');
    expect(row).toMatchObject({
      id: first.packetId,
      census_count: 12,
      active_orders_count: 6,
      pending_results_count: 4,
      forms: ['downtime-order', 'lab-requisition'],
    });
    expect(row.content.census[0]).toEqual({
      bed: 'LAB-01',
      patientId: 'P00066957',
      mrn: '3100468699',
      name: '史勇',
      sex: 'female',
      birthDate: '1975-04-01',
    });
    expect(row.content.census.map((c: { patientId: string }) => c.patientId)).toEqual([
      'P00066957',
      'P00074876',
      'P00082795',
      'P00090714',
      'P00098633',
      'P00106552',
      'P00114471',
      'P00122390',
      'P00130309',
      'P00138228',
      'P00146147',
      'P00154066',
    ]);
    expect(row.content.forms).toEqual(['downtime-order', 'lab-requisition']);

    // A retried call finds its packet; nothing of the content returns to the workflow.
    expect(
      await enterDowntime({ programId: 'demo-program', emergency: 1, department: 'LAB', adapter: simulated, forms: ['other'] }),
    ).toEqual(first);
    expect(JSON.stringify(first)).not.toContain('P000');
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM downtime_packet WHERE program_id = 'demo-program'`)).rows[0].n).toBe(1);

    await leaveDowntime({ programId: 'demo-program', emergency: 1, department: 'LAB', adapter: simulated });
    expect(await state('demo-program', 'LAB')).toBe('normal');
    // A program from before the emergency's number was passed still switches back.
    await enterDowntime({ programId: 'demo-program', emergency: 2, department: 'LAB', adapter: simulated, forms: [] });
    await leaveDowntime({ programId: 'demo-program', department: 'LAB', adapter: simulated });
    expect(await state('demo-program', 'LAB')).toBe('normal');
    // The next emergency gets a packet of its own, of the same beds.
    expect((await packet('demo-program', 2, 'LAB')).census_count).toBe(12);
    expect((await enterDowntime({ programId: 'p-1', emergency: 1, department: 'ICU', adapter: simulated, forms: [] })).census).toBe(8);
  });
});

describe('a vendor system over HTTP on downtime', () => {
  it('sends enter and leave to the vendor endpoints the plan names, with a key per emergency and the secret header', async () => {
    received.length = 0;
    const { enterDowntime, leaveDowntime } = activities();
    const result = await enterDowntime({
      programId: 'p-http',
      emergency: 3,
      department: 'ICU',
      adapter: http(),
      forms: ['downtime-order'],
    });
    expect(result).toMatchObject({ census: 3, activeOrders: 1, pendingResults: 2 });
    expect(received).toEqual([
      {
        method: 'POST',
        url: '/api/departments/ICU/downtime',
        key: 'p-http/emergency/3/ICU/downtime-enter',
        auth: 'secret-token',
        body: '{"program":"p-http","emergency":3}',
      },
    ]);
    // The vendor's snapshot is the packet; the simulated hospital's tables are untouched.
    expect((await packet('p-http', 3, 'ICU')).content).toEqual({ ...vendorSnapshot, forms: ['downtime-order'] });
    expect(await state('p-http', 'ICU')).toBeUndefined();

    // A retry sends the same key, and the packet stays the first one.
    expect(
      await enterDowntime({ programId: 'p-http', emergency: 3, department: 'ICU', adapter: http(), forms: ['downtime-order'] }),
    ).toEqual(result);
    expect(received[1]!.key).toBe(received[0]!.key);

    await leaveDowntime({ programId: 'p-http', emergency: 3, department: 'ICU', adapter: http() });
    expect(received[2]).toMatchObject({
      method: 'DELETE',
      url: '/api/departments/ICU/downtime',
      key: 'p-http/emergency/3/ICU/downtime-leave',
      auth: 'secret-token',
    });
    // 409 from leave: off downtime already, done.
    answers.set('/api/departments/ICU/downtime', { status: 409, body: '{}' });
    try {
      await expect(leaveDowntime({ programId: 'p-http', emergency: 3, department: 'ICU', adapter: http() })).resolves.toBeUndefined();
    } finally {
      answers.clear();
    }
  });

  it('fails for good without downtime endpoints, on a refusal or a body that is no snapshot; retries an outage', async () => {
    const { enterDowntime, leaveDowntime } = activities();
    const input = { programId: 'p-http-2', emergency: 1, department: 'ICU', forms: [] };
    await expect(enterDowntime({ ...input, adapter: http(false) })).rejects.toMatchObject({
      type: ErrorType.AdapterRejected,
      nonRetryable: true,
      message: 'adapter icu-emr (http) has no downtime operations',
    });
    await expect(leaveDowntime({ ...input, adapter: http(false) })).rejects.toMatchObject({
      type: ErrorType.AdapterRejected,
      nonRetryable: true,
    });

    const path = '/api/departments/ICU/downtime';
    try {
      answers.set(path, { status: 403, body: '{"error":"Zhang Wei is not yours"}' });
      const refused = await enterDowntime({ ...input, adapter: http() }).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        type: ErrorType.AdapterRejected,
        nonRetryable: true,
        message: 'icu-emr answered 403 to downtime enter for ICU',
        details: [{ status: 403 }],
      });
      // A snapshot of the wrong shape names what was expected, never what came.
      answers.set(path, { status: 200, body: JSON.stringify({ census: 'Zhang Wei, bed 3' }) });
      const malformed = await enterDowntime({ ...input, adapter: http() }).catch((e: unknown) => e);
      expect(malformed).toMatchObject({ type: ErrorType.AdapterRejected, nonRetryable: true });
      expect(JSON.stringify(malformed) + String((malformed as Error).message)).not.toContain('Zhang');
      answers.set(path, { status: 503, body: 'maintenance' });
      const outage = await enterDowntime({ ...input, adapter: http() }).catch((e: unknown) => e);
      expect(outage).toBeInstanceOf(Error);
      expect(outage).not.toHaveProperty('nonRetryable', true);
      expect((outage as Error).message).toBe('icu-emr answered 503 to downtime enter for ICU');
      expect(await packet('p-http-2', 1, 'ICU')).toBeUndefined();
    } finally {
      answers.clear();
    }
  });

  it('retries a vendor that is away or hangs, naming only the system', async () => {
    const { enterDowntime } = activities();
    const input = { programId: 'p-http-3', emergency: 1, department: 'ICU', forms: [] };
    // Nothing listens on the port any more: retryable, no address or body in the message.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const away = await enterDowntime({ ...input, adapter: http(true, { baseUrl: `http://127.0.0.1:${port}/api` }) }).catch(
      (e: unknown) => e,
    );
    expect(away).not.toHaveProperty('nonRetryable', true);
    expect((away as Error).message).toBe('icu-emr unreachable (TypeError)');
    // A vendor that takes the request and never answers is cut at the adapter's timeout.
    const hanging = createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const slow = await enterDowntime({
        ...input,
        adapter: http(true, { timeoutMs: 200, baseUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/api` }),
      }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(slow).not.toHaveProperty('nonRetryable', true);
      expect((slow as Error).message).toBe('icu-emr unreachable (TimeoutError)');
    } finally {
      hanging.closeAllConnections();
      await new Promise((r) => hanging.close(r));
    }
    expect(await packet('p-http-3', 1, 'ICU')).toBeUndefined();
  });

  it('runs go-live steps against the same server (a 409 is done already, a missing secret fails for good)', async () => {
    received.length = 0;
    const { runStep } = activities();
    const step = {
      id: 'enable-orders',
      system: 'EMR',
      action: 'enable',
      params: {},
      request: { method: 'POST', path: '/steps/{{step}}/{{department}}' },
      compensation: { action: 'disable', params: {}, request: { method: 'DELETE', path: '/steps/{{step}}/{{department}}' } },
    } as const;
    const call = {
      programId: 'p-http',
      department: 'ICU',
      attempt: 1,
      direction: 'do' as const,
      step,
      adapter: http(),
      idempotencyKey: 'k-1',
    };
    answers.set('/api/steps/enable-orders/ICU', { status: 200, body: '{"reference":"chg-42"}' });
    expect(await runStep(call)).toEqual({ reference: 'chg-42', alreadyDone: false });
    answers.set('/api/steps/enable-orders/ICU', { status: 409, body: '' });
    expect(await runStep(call)).toEqual({ alreadyDone: true });
    answers.clear();
    expect(received.map((r) => [r.method, r.url, r.key])).toEqual([
      ['POST', '/api/steps/enable-orders/ICU', 'k-1'],
      ['POST', '/api/steps/enable-orders/ICU', 'k-1'],
    ]);
    const noSecret = failFast(createAdapterActivities({ adapterFor: hospitalAdapters({ pool: db.pool, secrets: {} }) }));
    await expect(noSecret.runStep(call)).rejects.toMatchObject({
      type: ErrorType.InvalidInput,
      nonRetryable: true,
      message: 'header authorization: environment variable ICU_TOKEN is not set',
    });
  });

  it('admits downtime endpoints in a plan with the step placeholders only', () => {
    const base = { id: 'emr', kind: 'http', baseUrl: 'https://emr.example.org' };
    expect(
      Adapter.safeParse({
        ...base,
        downtime: {
          enter: { method: 'POST', path: '/downtime/{{department}}' },
          leave: { method: 'DELETE', path: '/downtime/{{department}}' },
        },
      }).success,
    ).toBe(true);
    expect(
      Adapter.safeParse({
        ...base,
        downtime: { enter: { method: 'POST', path: '/downtime/{{ward}}' }, leave: { method: 'DELETE', path: '/x' } },
      }).success,
    ).toBe(false);
    expect(Adapter.safeParse({ ...base, downtime: { enter: { method: 'POST', path: '/x' } } }).success).toBe(false);
  });
});
