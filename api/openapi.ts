import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { signInPath } from './abuse';
import type { AnyRoute } from './route';

const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })).optional(),
});

/** The OpenAPI document, generated from the same zod schemas that validate the requests. */
export function buildOpenApi(routes: AnyRoute[]) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A personal token issued by `npm run admin -- token issue --person <id>`' });
  for (const r of routes) {
    const responses: Record<string, object> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: res.schema } } } : {}),
      };
    }
    if (r.roles !== 'public' || (r.method === 'post' && r.path === signInPath)) responses['429'] ??= { description: 'Too many failed authentications from this address (or sign-ins with this token) this minute; see Retry-After', content: { 'application/json': { schema: ErrorBody } } };
    if (r.body || r.params || r.query) responses['400'] ??= { description: 'Validation failed: each issue names the field and the rule', content: { 'application/json': { schema: ErrorBody } } };
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      tags: r.tags,
      description: r.roles === 'public' ? 'Public.' : `Roles: ${r.roles.join(', ')}.`,
      security: r.roles === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        ...(r.params ? { params: r.params } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'golive', version: '1', description: 'Hospital system go-live orchestration' },
  });
}
