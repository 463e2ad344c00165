import { z } from 'zod';
import { retryAfterSeconds } from '../dependencies';
import { route } from '../route';
import type { Deps } from '../deps';

const ServiceHealth = z.object({ up: z.boolean(), ms: z.number(), error: z.string().optional() });
const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  down: z.array(z.enum(['temporal', 'postgres', 'smtp'])).describe('The services that did not answer'),
  services: z.object({ temporal: ServiceHealth, postgres: ServiceHealth, smtp: ServiceHealth }),
});

// Under the API's own 2 s for a dependency's answer, so /healthz itself answers within about 1.5 s.
async function probe(check: () => Promise<unknown>, timeoutMs = 1_500): Promise<z.infer<typeof ServiceHealth>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
    return { up: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    // The kind of failure only: driver messages can echo connection strings.
    const e = err as { code?: string; message?: string };
    return {
      up: false,
      ms: Math.round(performance.now() - started),
      error: e.code ?? (e.message === 'timeout' ? 'timeout' : 'unreachable'),
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(deps: Deps): Promise<z.infer<typeof Health>> {
  const [temporal, postgres, smtp] = await Promise.all([
    probe(() => deps.temporal.workflowService.getSystemInfo({})),
    probe(() => deps.pool.query('SELECT 1')),
    probe(() => deps.mailer.verify()),
  ]);
  const services = { temporal, postgres, smtp };
  const down = (Object.keys(services) as (keyof typeof services)[]).filter((k) => !services[k].up);
  return { status: down.length ? 'degraded' : 'ok', down, services };
}

export const healthRoute = route({
  method: 'get',
  path: '/healthz',
  summary: 'Reachability of Temporal, PostgreSQL and SMTP',
  tags: ['system'],
  roles: 'public',
  responses: { 200: { description: 'All services up', schema: Health }, 503: { description: 'At least one service down', schema: Health } },
  async handle({ ctx }) {
    const health = await checkHealth(ctx.deps);
    if (health.status === 'ok') return { status: 200, body: health };
    return { status: 503, body: health, headers: { 'Retry-After': String(retryAfterSeconds) } };
  },
});
