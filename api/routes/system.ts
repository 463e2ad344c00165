import { z } from 'zod';
import { route } from '../route';
import type { Deps } from '../deps';

const ServiceHealth = z.object({ up: z.boolean(), ms: z.number(), error: z.string().optional() });
const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  services: z.object({ temporal: ServiceHealth, postgres: ServiceHealth, smtp: ServiceHealth }),
});

async function probe(check: () => Promise<unknown>, timeoutMs = 3000): Promise<z.infer<typeof ServiceHealth>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
    ]);
    return { up: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    // The kind of failure only: driver messages can echo connection strings.
    const e = err as { code?: string; message?: string };
    return { up: false, ms: Math.round(performance.now() - started), error: e.code ?? (e.message === 'timeout' ? 'timeout' : 'unreachable') };
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
  return { status: Object.values(services).every((s) => s.up) ? 'ok' : 'degraded', services };
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
    return { status: health.status === 'ok' ? 200 : 503, body: health };
  },
});
