import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AnyRoute } from './route';

const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })).optional(),
  dependency: z.enum(['postgres', 'temporal']).optional().describe('On 503: which dependency is unavailable'),
});

/** The OpenAPI document, generated from the same zod schemas that validate the requests. */
export function buildOpenApi(routes: AnyRoute[]) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A personal token issued by `npm run admin -- token issue --person <id>`',
  });
  for (const r of routes) {
    const responses: Record<string, object> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: res.schema } } } : {}),
      };
    }
    // The answers the shell gives on any route (api/app.ts, api/errors.ts), so that no status a
    // client can meet is undocumented.
    const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
    // Every non-GET request's body is read (and its size and depth checked) even where the route takes none.
    const readsBody = r.body !== undefined || r.method !== 'get';
    if (readsBody)
      responses['400'] ??= error('Validation failed (each issue names the field and the rule), or the body is not JSON or nested too deep');
    if (r.params || r.query) responses['400'] ??= error('Validation failed: each issue names the field and the rule');
    if (r.params) responses['404'] ??= error('Nothing under these path parameters');
    if (readsBody) responses['413'] ??= error('Request body too large');
    if (readsBody) responses['415'] ??= error('The body must be application/json, in a charset and encoding the server reads');
    if (r.roles !== 'public') {
      responses['401'] ??= error('Not signed in: send Authorization: Bearer <token>');
      responses['403'] ??= error('Signed in, but none of the roles this route needs (or a page without its CSRF token)');
    }
    if (r.method === 'post') {
      responses['409'] ??= error('A request with the same Idempotency-Key is still running');
      responses['422'] ??= error('The Idempotency-Key was already used for a different request');
    }
    if (r.etag) responses['304'] ??= { description: 'Not modified: If-None-Match named the ETag of the current state (no body)' };
    responses['429'] ??= error(
      'Too many failed authentications from this address (or sign-ins with this token) this minute: wait for Retry-After seconds',
    );
    responses['503'] ??= error(
      'A dependency (PostgreSQL or Temporal, named in `dependency`) is unavailable or too slow, or the audit entry could not be written (`audit_unavailable`): retry after Retry-After seconds',
    );
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
        // toHandler answers 415 to a request without a JSON body, even when every field is optional.
        ...(r.body ? { body: { required: true, content: { 'application/json': { schema: r.documentedBody ?? r.body } } } } : {}),
      },
      responses,
    });
  }
  const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'golive', version: '1', description: 'Hospital system go-live orchestration' },
  });
  return withSafeIntegerBounds(document);
}

/**
 * zod's .int() accepts safe integers only (±2^53 - 1) but says so to nobody: the generator
 * writes no bounds where the schema sets none, and clients then send 10^20 and get a 400.
 * Fills in the bounds zod enforces anyway, leaving every explicit one as it is.
 */
function withSafeIntegerBounds<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(withSafeIntegerBounds);
  else if (node && typeof node === 'object') {
    const schema = node as Record<string, unknown>;
    if (schema.type === 'integer') {
      schema.minimum ??= Number.MIN_SAFE_INTEGER;
      schema.maximum ??= Number.MAX_SAFE_INTEGER;
    }
    Object.values(schema).forEach(withSafeIntegerBounds);
  }
  return node;
}
