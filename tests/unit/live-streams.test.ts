import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveStreams } from '../../app/live-streams';
import { tagged } from '../../api/route';
import { testPlan } from '../../domain/demo-plans';
import { startTestApi, testDeps, type TestApi } from '../helpers/api';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { personWithToken } from '../helpers/people';

/** GET /v1/programs/{id}/stream through the real app over a Temporal stand-in that counts its queries. */
const fake = { queries: 0, phase: 'readiness', padding: '', failWith: undefined as Error | undefined };
const fakeTemporal = {
  workflow: {
    getHandle: () => ({
      async query() {
        fake.queries++;
        if (fake.failWith) throw fake.failWith;
        return { programId: 'prog-1', phase: fake.phase, ...(fake.padding ? { padding: fake.padding } : {}) };
      },
    }),
  },
} as unknown as Client;

let db: TestDatabase;
let api: TestApi;
let viewer: Record<string, string>;
const streams = new LiveStreams({ everyMs: 200, keepAliveMs: 300, tag: tagged });

beforeAll(async () => {
  db = await freshDatabase('live_streams');
  await db.pool.query(`INSERT INTO program (id, plan, plan_hash, hospital_name, created_by) VALUES ('prog-1', $1, 'x', 'Test', 'test')`, [
    { ...testPlan(), programId: 'prog-1' },
  ]);
  // A freshness bound as short as the pollers' interval, so a change shows within the test's patience.
  const deps = testDeps(db.pool, { temporal: fakeTemporal, streams });
  deps.config = { ...deps.config, LIVE_READ_FRESH_MS: 200 };
  api = await startTestApi(deps);
  viewer = { authorization: `Bearer ${(await personWithToken(db.pool, ['viewer'])).token}` };
});
afterAll(async () => {
  await api?.close();
  await db?.close();
});

interface Received {
  events: { event?: string; id?: string; data?: string }[];
  comments: number;
  close(): void;
}

/** Opens the stream and collects its events and comment lines as they come. */
async function open(headers: Record<string, string>): Promise<{ res: Response; got: Received }> {
  const abort = new AbortController();
  const res = await fetch(`${api.url}/v1/programs/prog-1/stream`, { headers, signal: abort.signal });
  const got: Received = { events: [], comments: 0, close: () => abort.abort() };
  if (res.status !== 200) return { res, got };
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) {
            got.comments++;
            continue;
          }
          const event: Received['events'][number] = {};
          for (const line of block.split('\n')) {
            const i = line.indexOf(': ');
            const [k, v] = [line.slice(0, i), line.slice(i + 2)];
            if (k === 'event' || k === 'id' || k === 'data') event[k] = v;
          }
          got.events.push(event);
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  return { res, got };
}

describe('program state as Server-Sent Events (issue 15)', () => {
  it('sends the state at once (its id the ETag of the GET), then only changes, to every stream from ONE poller', async () => {
    const get = await fetch(`${api.url}/v1/programs/prog-1`, { headers: viewer });
    const etag = get.headers.get('etag');
    const a = await open(viewer);
    const b = await open(viewer);
    expect(a.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(a.res.headers.get('cache-control')).toBe('no-store');
    await eventually(() => expect(a.got.events.length && b.got.events.length).toBeTruthy());
    expect(a.got.events[0]).toMatchObject({ event: 'status', id: etag });
    expect(JSON.parse(a.got.events[0]!.data!)).toMatchObject({ phase: 'readiness' });
    expect(streams.size).toBe(1);

    // Idle: keep-alive comments, no new events, and about one query per poller interval (not per stream).
    const queriesBefore = fake.queries;
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.got.events).toHaveLength(1);
    expect(a.got.comments).toBeGreaterThanOrEqual(2);
    expect(fake.queries - queriesBefore).toBeLessThanOrEqual(6);

    fake.phase = 'pilot';
    await eventually(() => expect(a.got.events.length === 2 && b.got.events.length === 2).toBe(true));
    expect(JSON.parse(a.got.events[1]!.data!)).toMatchObject({ phase: 'pilot' });
    expect(a.got.events[1]!.id).not.toBe(etag);

    a.got.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(streams.size).toBe(1);
    b.got.close();
    await eventually(() => expect(streams.size).toBe(0));
    const stopped = fake.queries;
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.queries).toBe(stopped);
    fake.phase = 'readiness';
  });

  it('does not send again the state a reconnecting client names in Last-Event-ID', async () => {
    const etag = (await fetch(`${api.url}/v1/programs/prog-1`, { headers: viewer })).headers.get('etag')!;
    const s = await open({ ...viewer, 'last-event-id': etag });
    await eventually(() => expect(s.got.comments).toBeGreaterThanOrEqual(1));
    expect(s.got.events).toHaveLength(0);
    s.got.close();
  });

  it('says `unavailable` (a code only) while Temporal is down, and sends the state again when it is back', async () => {
    const s = await open(viewer);
    await eventually(() => expect(s.got.events).toHaveLength(1));
    fake.failWith = Object.assign(new Error('unavailable'), { code: 14, details: 'connection refused', metadata: {} });
    await eventually(() => expect(s.got.events).toHaveLength(2));
    expect(s.got.events[1]).toEqual({ event: 'unavailable', data: '{"error":"dependency_unavailable"}' });
    fake.failWith = undefined;
    await eventually(() => expect(s.got.events).toHaveLength(3));
    expect(s.got.events[2]).toMatchObject({ event: 'status', id: s.got.events[0]!.id });
    s.got.close();
  });

  it('cuts off a client that stops reading once 1 MB waits for it, and stops its poller', async () => {
    const { port } = new URL(api.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET /v1/programs/prog-1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: ${viewer.authorization}\r\n\r\n`);
    // Reads nothing from here on: the server's socket buffers fill, then its queue.
    socket.pause();
    const closed = new Promise((r) => socket.once('close', r));
    await eventually(() => expect(streams.size).toBe(1));
    for (let i = 0; i < 40 && streams.size; i++) {
      fake.padding = `${i}`.padEnd(400_000, 'x');
      await new Promise((r) => setTimeout(r, 250));
    }
    await eventually(() => expect(streams.size).toBe(0), 10_000);
    socket.resume();
    await closed;
    fake.padding = '';
  }, 30_000);

  it('401 without a token and 404 for no such program, before any stream opens', async () => {
    const anonymous = await fetch(`${api.url}/v1/programs/prog-1/stream`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/json');
    const missing = await fetch(`${api.url}/v1/programs/no-such/stream`, { headers: viewer });
    expect(missing.status).toBe(404);
    expect(streams.size).toBe(0);
  });
});
