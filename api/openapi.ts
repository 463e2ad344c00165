import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
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
    // Answers every route of a kind can give, whatever its handler does: the document must list
    // them, or a client (and the contract test, tests/integration/contract.test.ts) meets statuses it was never told of.
    const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
    if (r.body || r.params || r.query) responses['400'] ??= error('Validation failed: each issue names the field and the rule');
    if (r.roles !== 'public') {
      responses['401'] ??= error('No valid bearer token or session');
      responses['403'] ??= error('None of the roles this route needs, or a session change without its CSRF token');
    }
    if (r.body) responses['415'] ??= error('The body is missing or not application/json');
    // Path parameters name things (programs, incidents, departments) that may not exist.
    if (r.params) responses['404'] ??= error('No such thing at this path');
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
