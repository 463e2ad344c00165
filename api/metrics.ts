/**
 * Prometheus metrics of the API process (prom-client), at GET /metrics: request durations by
 * route TEMPLATE (never the URL: paths hold program, incident and run ids), method and status
 * class; requests in flight; the live-read cache's hits and misses; the process's own (CPU, RSS,
 * heap, event loop lag). One registry per app, so two apps in one test process count apart.
 */
import type { Express, Request } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LookupOutcome } from '../app/live-reads';
import type { Config } from '../platform/config';
import { HttpError } from './errors';

export interface ApiMetrics {
  registry: Registry;
  countLookup(outcome: LookupOutcome): void;
}

// IPv4 loopback (also IPv4-mapped IPv6) and IPv6's ::1.
const loopback = /^(127\.\d+\.\d+\.\d+|::ffff:127\.\d+\.\d+\.\d+|::1)$/;

/** The route template express matched, or a fixed word: a label never holds a path's ids. */
const templateOf = (req: Request) => {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
};

export function mountMetrics(app: Express, config: Pick<Config, 'METRICS_ACCESS'>): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'API request duration by route template, method and status class',
    labelNames: ['route', 'method', 'status_class'] as const,
    // Reads should land in the lowest buckets, Updates in the hundreds of milliseconds.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'API requests being served', registers: [registry] });
  const lookups = new Counter({
    name: 'golive_live_reads_total',
    help: 'Reads of live workflow state: hit (reused answer), shared (joined a query in flight), miss (sent a query)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  app.use((req, res, next) => {
    const started = performance.now();
    inFlight.inc();
    // 'close' comes for every response, finished or cut by the client.
    res.once('close', () => {
      inFlight.dec();
      duration.observe(
        { route: templateOf(req), method: req.method, status_class: `${Math.floor(res.statusCode / 100)}xx` },
        (performance.now() - started) / 1000,
      );
    });
    next();
  });

  app.get('/metrics', async (req, res, next) => {
    try {
      // req.ip: the connection's address, or the client's behind a proxy named by TRUST_PROXY.
      if (config.METRICS_ACCESS !== 'any' && !loopback.test(req.ip ?? '')) {
        throw new HttpError(403, 'forbidden', 'metrics are served to loopback only (METRICS_ACCESS)');
      }
      const text = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.send(text);
    } catch (err) {
      next(err);
    }
  });

  return { registry, countLookup: (outcome) => lookups.inc({ outcome }) };
}
