import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';

/**
 * Puts the demo hospital into the running stack through the public API, as a person would.
 * Idempotent: a restart finds the same workflows (Idempotency-Key) and adds nothing twice.
 */
export async function seedDemo({ apiUrl, logger }: { apiUrl: string; config: Config; logger: Logger }): Promise<void> {
  const res = await fetch(`${apiUrl}/v1/notifications/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'demo-welcome' },
    body: JSON.stringify({ to: 'cutover.lead@demo-hospital.example', requestedBy: 'demo' }),
  });
  if (!res.ok) throw new Error(`demo seed: test notification answered ${res.status}`);
  logger.info({ workflowId: ((await res.json()) as { workflowId: string }).workflowId }, 'demo: welcome e-mail workflow started');
}
