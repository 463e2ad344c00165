import { addPerson, issueToken, revokeToken } from '../app/people';
import { demoPlan } from '../domain/demo-plans';
import { DEMO_NEW_URL_ENV, demoParallelRunDomains } from './demo-hospital';
import type { Role } from '../domain/people';
import { ownerDatabaseUrl, type Config } from '../platform/config';
import { createPool } from '../platform/db';
import type { Logger } from '../platform/logger';

/** The demo hospital's people: one per role, and the three leadership approvers the demo plan names. */
export const demoPeople: { id: string; displayName: string; roles: Role[] }[] = [
  { id: 'p-admin-01', displayName: 'IT Administrator', roles: ['admin'] },
  { id: 'p-lead-01', displayName: 'Cutover Lead', roles: ['lead', 'viewer'] },
  { id: 'p-oncall-01', displayName: 'On-call Engineer', roles: ['oncall'] },
  { id: 'p-vp-01', displayName: 'Vice-President, Medical Affairs', roles: ['leadership'] },
  { id: 'p-itdir-01', displayName: 'IT Director', roles: ['leadership'] },
  { id: 'p-cmo-01', displayName: 'Chief Medical Officer', roles: ['leadership'] },
  { id: 'p-viewer-01', displayName: 'Department Observer', roles: ['viewer'] },
];

/**
 * Puts the demo hospital into the running stack, through the public API where a person would.
 * Idempotent: people are upserted, the plan is the same plan (the API answers 200), and the
 * welcome e-mail carries an Idempotency-Key. Tokens are re-issued at every start (old ones
 * revoked), so the printed ones are the ones that work.
 */
export async function seedDemo({
  apiUrl,
  config,
  logger,
}: {
  apiUrl: string;
  config: Config;
  logger: Logger;
}): Promise<{ tokens: Record<string, string>; finished?: string }> {
  const pool = createPool(ownerDatabaseUrl(config), 2);
  const tokens: Record<string, string> = {};
  try {
    for (const p of demoPeople) {
      await addPerson(pool, { id: p.id, displayName: p.displayName, email: `${p.id}@demo-hospital.example`, roles: p.roles });
      await revokeToken(pool, { personId: p.id });
      tokens[p.id] = (await issueToken(pool, p.id)).token;
    }
  } finally {
    await pool.end();
  }
  const asLead = { 'content-type': 'application/json', authorization: `Bearer ${tokens['p-lead-01']}` };
  const program = await fetch(`${apiUrl}/v1/programs`, { method: 'POST', headers: asLead, body: JSON.stringify(demoPlanWithDomains()) });
  const conflict = program.status === 409 ? ((await program.json()) as { error?: string; status?: string }) : undefined;
  if (conflict?.error === 'program_finished') {
    // The demo's life cycle ran to its end earlier: shown as it ended, never started over.
    logger.info({ programId: demoPlan().programId, status: conflict.status }, 'demo program already finished');
    return { tokens, finished: conflict.status ?? 'finished' };
  }
  if (conflict) {
    // A data folder from a demo of an earlier version: its program runs another plan.
    const where = config.DATABASE_URL ? 'the database of DATABASE_URL' : `${config.DATA_DIR}/`;
    throw new Error(
      `demo seed: ${where} holds the demo program with another plan; stop the stack and remove ${where} to start the demo afresh`,
    );
  }
  if (program.status !== 201 && program.status !== 200) throw new Error(`demo seed: creating the demo program answered ${program.status}`);
  const welcome = await fetch(`${apiUrl}/v1/notifications/test`, {
    method: 'POST',
    headers: { ...asLead, 'idempotency-key': 'demo-welcome' },
    body: JSON.stringify({ to: 'p-lead-01@demo-hospital.example', requestedBy: 'p-lead-01' }),
  });
  if (!welcome.ok) throw new Error(`demo seed: test notification answered ${welcome.status}`);
  logger.info({ programId: demoPlan().programId }, 'demo hospital seeded');
  return { tokens };
}

/** The demo plan comparing the demo hospital's two databases in its five domains. */
export function demoPlanWithDomains() {
  const plan = demoPlan();
  const side = (s: { urlEnv: string; query: string }) => ({ kind: 'postgres' as const, connection: { urlEnv: s.urlEnv }, query: s.query });
  plan.parallelRun = {
    ...plan.parallelRun,
    // Demo minutes: differences in flight are re-checked after 10 seconds, not 5 minutes.
    settle: 'PT10S',
    domains: demoParallelRunDomains({ codeMapUrl: `env:${DEMO_NEW_URL_ENV}` }).map((d) => ({
      ...d,
      legacy: side(d.legacy),
      new: side(d.new),
    })),
  };
  return plan;
}
