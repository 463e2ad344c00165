import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { createAuthGuard } from './abuse';
import { auditRequest, isAudited } from './audit';
import { LiveReads } from '../app/live-reads';
import { LiveStreams } from '../app/live-streams';
import { jsonBody } from './body';
import { mountMetrics } from './metrics';
import { securityHeaders } from './headers';
import { authorize, createAuthenticator } from './auth';
import type { Deps } from './deps';
import { errorHandler, HttpError } from './errors';
import { createIdempotencyGuard } from './idempotency';
import { findSession } from './session';
import { buildOpenApi } from './openapi';
import { expressPath, tagged, toHandler, type AnyRoute } from './route';
import { routes as allRoutes } from './routes';
import { refuseMalformedText } from './text';
import { mountUi } from './ui';

const requestIdPattern = /^[A-Za-z0-9._-]{8,64}$/;

export function createApp(given: Deps, routes: AnyRoute[] = allRoutes): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // ETags only where a route declares them (strong, api/route.ts), not express's weak one on every
  // JSON answer: errors, downloads and answers with a request id are never "not modified".
  app.set('etag', false);
  app.set('trust proxy', given.config.TRUST_PROXY);
  app.use(securityHeaders(given.config));
  const metrics = mountMetrics(app, given.config);
  const deps: Deps = {
    ...given,
    reads: given.reads ?? new LiveReads({ freshMs: given.config.LIVE_READ_FRESH_MS, maxEntries: 1000, onLookup: metrics.countLookup }),
    // A stream's poller reads once per freshness bound (at least a second): more often would only find the same answer.
    streams: given.streams ?? new LiveStreams({ everyMs: Math.max(1000, given.config.LIVE_READ_FRESH_MS), tag: tagged }),
  };

  // Request id: the caller's if it is sane (a proxy may have set it), else ours.
  app.use((req, res, next) => {
    const given = req.header('x-request-id');
    const requestId = given && requestIdPattern.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      // Method, route template and status only: paths hold opaque ids, bodies are never logged.
      deps.logger.info(
        {
          requestId,
          method: req.method,
          route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched',
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  });

  mountUi(app);
  const openapi = buildOpenApi(routes);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // Per route, in this order: audit (sees every outcome, refusals included), the limit on failed
  // authentications, authenticate and authorise (before a body is even read), parse, refuse text
  // that is not valid Unicode (before anything is hashed), Idempotency-Key, then the handler.
  const authenticate = createAuthenticator(deps.pool, deps.authCacheMs);
  const sessions = (cookieValue: string) => findSession(deps.pool, cookieValue);
  const idempotent = createIdempotencyGuard(deps.pool, deps.logger);
  const json = jsonBody();
  const authGuard = createAuthGuard(deps);
  for (const r of routes) {
    const audit = isAudited(r) ? [auditRequest(r, deps)] : [];
    app[r.method](
      expressPath(r.path),
      ...audit,
      authGuard(r),
      authorize(r, authenticate, sessions),
      json,
      refuseMalformedText(r),
      idempotent(r),
      toHandler(r, deps),
    );
  }

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path.slice(0, 100)}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
