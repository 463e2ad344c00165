import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Deps } from './deps';
import { errorHandler, HttpError } from './errors';
import { buildOpenApi } from './openapi';
import { expressPath, toHandler, type AnyRoute } from './route';
import { routes as allRoutes } from './routes';

const requestIdPattern = /^[A-Za-z0-9._-]{8,64}$/;

export function createApp(deps: Deps, routes: AnyRoute[] = allRoutes): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

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
        { requestId, method: req.method, route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched', status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  });
  app.use(express.json({ limit: '2mb' }));

  const openapi = buildOpenApi(routes);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  for (const r of routes) app[r.method](expressPath(r.path), toHandler(r, deps));

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path.slice(0, 100)}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
