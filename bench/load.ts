/**
 * Load benchmark of the command center's reads (issue 15; prints figures, not a test).
 *
 *   npm run bench:load                         # 500 pages for 60 s
 *   BENCH_PAGES=200 BENCH_SECONDS=600 npm run bench:load
 *   BENCH_DECIDERS=5 ...     pages that also decide, one action every BENCH_DECIDE_MS (5000) each
 *   BENCH_POLL_MS=2000 ...   each page's poll interval (the page's own)
 *   BENCH_STREAM=1 ...       the pages hold the Server-Sent Events stream open instead of polling
 *   BENCH_BASELINE=1 ...     the "before": the API with LIVE_READ_FRESH_MS=0 and pages that send no
 *                            If-None-Match (every read a Temporal query and a full body)
 *
 * The real stack, as tests/helpers/stack.ts starts it: an embedded PostgreSQL, the Temporal dev
 * server (in memory), an SMTP server in this process, and the worker and the API as processes of
 * their own (api/main.ts, worker/main.ts), so their CPU and memory are theirs alone. One program of
 * the test plan; N simulated pages each GET its status every 2 s with the last ETag, as ui/poll.ts
 * does, starting at random points of the first interval; the deciders record evidence, open the
 * readiness gate and say no-go to it (which closes it: it can be opened again), in turn.
 * Reads and decisions time out after 10 s (counted). CPU seconds and RSS come from /proc.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testPlan } from '../domain/demo-plans';
import { loadConfig } from '../platform/config';
import { createPool, prepareDatabase, withCredentials } from '../platform/db';
import { createApiClient, workerPolling } from '../platform/temporal';
import { ensureDatabase, freePort, portOpen, spawnTs, startEmbeddedPostgres, startTemporalDevServer, waitFor } from '../tools/services';
import { passingEvidence } from '../tests/helpers/evidence';
import { personWithToken } from '../tests/helpers/people';
import { startTestSmtp } from '../tests/helpers/smtp';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0`);
  return v;
};
const PAGES = num('BENCH_PAGES', 500);
const SECONDS = num('BENCH_SECONDS', 60);
const POLL_MS = num('BENCH_POLL_MS', 2000);
const DECIDERS = num('BENCH_DECIDERS', Math.max(1, Math.round(PAGES / 100)));
const DECIDE_MS = num('BENCH_DECIDE_MS', 5000);
const BASELINE = process.env.BENCH_BASELINE === '1';
const STREAM = process.env.BENCH_STREAM === '1';
const TIMEOUT_MS = 10_000;

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: rssKb / 1024 };
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

class Tally {
  readonly ms: number[] = [];
  readonly statuses = new Map<string, number>();
  timeouts = 0;
  failures = 0;
  add(status: string, ms: number) {
    this.ms.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }
  summary(seconds: number) {
    const sorted = [...this.ms].sort((a, b) => a - b);
    return {
      count: this.ms.length,
      perSecond: Math.round((this.ms.length / seconds) * 10) / 10,
      p50: Math.round(quantile(sorted, 0.5)),
      p99: Math.round(quantile(sorted, 0.99)),
      max: Math.round(sorted[sorted.length - 1] ?? NaN),
      statuses: Object.fromEntries([...this.statuses].sort()),
      timeouts: this.timeouts,
      failures: this.failures,
    };
  }
}

async function timedFetch(tally: Tally, url: string, init: RequestInit): Promise<Response | undefined> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer();
    tally.add(String(res.status), performance.now() - started);
    return res;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') tally.timeouts++;
    else tally.failures++;
    return undefined;
  }
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'golive-bench-load-'));
  const stops: (() => Promise<unknown>)[] = [];
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    say(
      `bench:load  pages=${PAGES} seconds=${SECONDS} poll=${POLL_MS}ms deciders=${DECIDERS}${BASELINE ? '  BASELINE (no reuse, no ETag)' : ''}`,
    );
    const [pgPort, temporalPort, apiPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: pgPort, persistent: false });
    stops.push(() => pg.stop());
    await ensureDatabase(pg.adminUrl, 'golive');
    const ownerUrl = pg.urlFor('golive');
    const dbUrl = withCredentials(ownerUrl, 'golive_app', randomBytes(18).toString('base64url'));
    await prepareDatabase(ownerUrl, dbUrl);
    const temporal = await startTemporalDevServer({ port: temporalPort });
    stops.push(() => temporal.stop());
    const smtp = await startTestSmtp();
    stops.push(() => smtp.close());

    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: dir,
      DATABASE_URL: dbUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'golive-bench',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      API_PORT: String(apiPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      PUBLIC_BASE_URL: 'http://golive.test',
      // Hundreds of pages on one address would otherwise be the guesser the limit is for.
      AUTH_FAILURES_PER_MINUTE: '100000',
      ...(BASELINE ? { LIVE_READ_FRESH_MS: '0' } : {}),
    };
    const config = loadConfig(env);
    const worker = spawnTs('worker/main.ts', env, 'inherit');
    stops.push(() => worker.stopGracefully());
    const client = createApiClient(config);
    await waitFor('the worker polling', () => workerPolling(client, config).catch(() => false), 120_000, worker);
    await client.connection.close();
    const api = spawnTs('api/main.ts', env, 'inherit');
    stops.push(() => api.stopGracefully());
    await waitFor('the API', () => portOpen(apiPort), 60_000, api);
    const base = `http://127.0.0.1:${apiPort}`;

    // People: a lead, the readiness gate's approvers, and a viewer per page.
    const owner = createPool(ownerUrl, 4);
    stops.push(() => owner.end());
    const bearer = async (roles: Parameters<typeof personWithToken>[1], id?: string) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${(await personWithToken(owner, roles, id)).token}`,
    });
    const lead = await bearer(['lead'], 'p-lead-01');
    const vp = await bearer(['leadership'], 'p-vp-01');
    const viewers = await Promise.all(Array.from({ length: Math.min(PAGES, 50) }, () => bearer(['viewer'])));

    const plan = testPlan();
    plan.programId = `bench-${randomBytes(3).toString('hex')}`;
    const created = await fetch(`${base}/v1/programs`, { method: 'POST', headers: lead, body: JSON.stringify(plan) });
    if (created.status !== 201) throw new Error(`program not created: ${created.status} ${await created.text()}`);
    const statusUrl = `${base}/v1/programs/${plan.programId}`;
    // Warm: the first query replays nothing but loads the workflow into the worker's cache.
    await fetch(statusUrl, { headers: viewers[0]! });

    const reads = new Tally();
    const decisions = new Tally();
    let notModified = 0;
    const apiHeapMb = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 1048576;
    };
    const heapAtStart = await apiHeapMb();
    // The dev server answers every query too (it hands it to the worker): its CPU is part of a read's cost.
    const temporalPid = temporal.process!.pid!;
    const startAt = { api: usage(api.pid!), worker: usage(worker.pid!), temporal: usage(temporalPid) };
    const samples: string[] = [];
    const started = performance.now();
    const endAt = started + SECONDS * 1000;
    const running = () => performance.now() < endAt;
    // No wait past the end: the rates are over the run's own duration.
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, endAt - performance.now()))));

    const page = async (i: number) => {
      const headers = viewers[i % viewers.length]!;
      let etag: string | undefined;
      await sleep(Math.random() * POLL_MS);
      while (running()) {
        const res = await timedFetch(reads, statusUrl, { headers: !BASELINE && etag ? { ...headers, 'if-none-match': etag } : headers });
        if (res?.status === 304) notModified++;
        else if (res?.status === 200) etag = res.headers.get('etag') ?? undefined;
        // Like ui/poll.ts: the next poll POLL_MS after this one ended.
        await sleep(POLL_MS);
      }
    };
    // BENCH_STREAM=1: the page as a browser with EventSource runs it (ui/poll.ts), one stream open for the whole run.
    let events = 0;
    const streamingPage = async (i: number) => {
      const headers = viewers[i % viewers.length]!;
      await sleep(Math.random() * POLL_MS);
      const abort = new AbortController();
      const stop = setTimeout(() => abort.abort(), Math.max(0, endAt - performance.now()));
      const opened = performance.now();
      try {
        const res = await fetch(`${statusUrl}/stream`, { headers, signal: abort.signal });
        if (res.status !== 200) {
          reads.add(String(res.status), performance.now() - opened);
          return;
        }
        let first = true;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const text = Buffer.from(chunk).toString('utf8');
          const n = text.split('event: status').length - 1;
          if (n && first) {
            reads.add(String(res.status), performance.now() - opened);
            first = false;
          }
          events += n;
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') reads.failures++;
      } finally {
        clearTimeout(stop);
      }
    };
    const decider = async (i: number) => {
      const actions = [
        { url: `${statusUrl}/evidence`, headers: lead, body: { evidence: passingEvidence() } },
        { url: `${statusUrl}/gates/readiness/requests`, headers: lead, body: {} },
        { url: `${statusUrl}/gates/readiness/decisions`, headers: vp, body: { decision: 'no-go', comment: 'bench' } },
      ];
      await sleep(Math.random() * DECIDE_MS);
      for (let n = i; running(); n++) {
        const a = actions[n % actions.length]!;
        await timedFetch(decisions, a.url, {
          method: 'POST',
          headers: { ...a.headers, 'idempotency-key': randomBytes(12).toString('hex') },
          body: JSON.stringify(a.body),
        });
        await sleep(DECIDE_MS);
      }
    };
    const sampler = setInterval(
      () => {
        const a = usage(api.pid!);
        const w = usage(worker.pid!);
        samples.push(`${Math.round((performance.now() - started) / 1000)}s api ${a.rssMb.toFixed(0)} MB worker ${w.rssMb.toFixed(0)} MB`);
      },
      Math.max(10_000, (SECONDS * 1000) / 10),
    );
    await Promise.all([
      ...Array.from({ length: PAGES }, (_, i) => (STREAM ? streamingPage(i) : page(i))),
      ...Array.from({ length: DECIDERS }, (_, i) => decider(i)),
    ]);
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const endAtUsage = { api: usage(api.pid!), worker: usage(worker.pid!), temporal: usage(temporalPid) };

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const lookups = Object.fromEntries(
      [...metrics.matchAll(/^golive_live_reads_total\{outcome="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
    const r = reads.summary(seconds);
    const d = decisions.summary(seconds);
    say('');
    if (STREAM) say(`streams    ${r.count} opened (first event p50 ${r.p50} ms, p99 ${r.p99} ms), ${events} status events received`);
    else say(`reads      ${r.count} in ${seconds.toFixed(1)} s = ${r.perSecond}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms`);
    say(`           statuses ${JSON.stringify(r.statuses)} (304: ${notModified})  timeouts ${r.timeouts}  failures ${r.failures}`);
    say(
      `decisions  ${d.count}  p50 ${d.p50} ms  p99 ${d.p99} ms  max ${d.max} ms  statuses ${JSON.stringify(d.statuses)}  timeouts ${d.timeouts}  failures ${d.failures}`,
    );
    say(`queries    live-read lookups ${JSON.stringify(lookups)} (each miss is one Temporal query)`);
    for (const [name, a, b] of [
      ['api', startAt.api, endAtUsage.api],
      ['worker', startAt.worker, endAtUsage.worker],
      ['temporal', startAt.temporal, endAtUsage.temporal],
    ] as const) {
      say(
        `${name.padEnd(10)} CPU ${(b.cpuS - a.cpuS).toFixed(1)} s (${((b.cpuS - a.cpuS) / seconds).toFixed(2)} cores)  RSS ${a.rssMb.toFixed(0)} MB at start, ${b.rssMb.toFixed(0)} MB at end`,
      );
    }
    say(`memory     ${samples.join('; ')}`);
    say(`api heap   ${heapAtStart.toFixed(0)} MB used at start, ${(await apiHeapMb()).toFixed(0)} MB at end (V8, from its /metrics)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:load failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
