import { addPerson, issueToken, revokeToken } from '../app/people';
import type { Locale } from '../domain/i18n';
import { demoPlan } from '../domain/demo-plans';
import { parsePlan } from '../domain/plan';
import { departmentRunbook, teamRota, Teams, type Team } from '../domain/runbook-templates';
import { DEMO_NEW_URL_ENV, demoParallelRunDomains } from './demo-hospital';
import type { Role } from '../domain/people';
import { ownerDatabaseUrl, type Config } from '../platform/config';
import { createPool } from '../platform/db';
import type { Logger } from '../platform/logger';

/** The demo hospital's people: one per role, and the three leadership approvers the demo plan names. */
/**
 * The demo's people, in both of golive's languages: the hospital reads Chinese (the demo plan's
 * hospital.locale), the cutover lead, the IT administrator and the IT director chose English, so
 * one notice to leadership goes out in two languages.
 */
export const demoPeople: { id: string; displayName: string; roles: Role[]; locale?: Locale }[] = [
  { id: 'p-admin-01', displayName: 'IT Administrator', roles: ['admin'], locale: 'en' },
  { id: 'p-lead-01', displayName: 'Cutover Lead', roles: ['lead', 'viewer'], locale: 'en' },
  { id: 'p-oncall-01', displayName: '王伟（值班工程师）', roles: ['oncall'], locale: 'zh-CN' },
  { id: 'p-vp-01', displayName: '陈洁（医务副院长）', roles: ['leadership'], locale: 'zh-CN' },
  { id: 'p-itdir-01', displayName: 'IT Director', roles: ['leadership'], locale: 'en' },
  { id: 'p-cmo-01', displayName: '孙慧（医疗总监）', roles: ['leadership'] },
  { id: 'p-viewer-01', displayName: '赵敏（科室观察员）', roles: ['viewer'] },
];

/**
 * The night crew: the people the runbooks' rotas name on the go-live night (no sign-in tokens: the
 * demo's night crew checks tasks off through a lead, scripts/demo-hospital/night-crew.ts; they
 * receive the live night's e-mails in the mail catcher). The command team is the cutover lead.
 */
export const demoNightCrew: { id: string; displayName: string; team: Exclude<Team, 'command'> }[] = [
  { id: 'p-reg-01', displayName: 'Registration Supervisor', team: 'registration' },
  { id: 'p-iface-01', displayName: 'Interface Analyst', team: 'interfaces' },
  { id: 'p-nurse-01', displayName: 'Night Charge Nurse', team: 'nursing' },
  { id: 'p-nurse-02', displayName: 'Night Nurse', team: 'nursing' },
  { id: 'p-pharm-01', displayName: 'Night Pharmacist', team: 'pharmacy' },
  { id: 'p-doc-01', displayName: 'Physician on Night Duty', team: 'physicians' },
  { id: 'p-desk-01', displayName: 'Desktop Support Technician', team: 'desktop' },
];

/** Who receives the dress rehearsals' e-mails instead of the night crew: the cutover lead. */
export const DEMO_REHEARSAL_RECIPIENTS = ['p-lead-01'];
/** The rehearsal's compressed clock: the 5 h 30 night in under 3 minutes. */
export const DEMO_REHEARSAL_SPEED = 120;

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
}): Promise<{ tokens: Record<string, string>; finished?: string; rehearsals: string[] }> {
  const pool = createPool(ownerDatabaseUrl(config), 2);
  const tokens: Record<string, string> = {};
  try {
    for (const p of demoPeople) {
      await addPerson(pool, {
        id: p.id,
        displayName: p.displayName,
        email: `${p.id}@demo-hospital.example`,
        roles: p.roles,
        locale: p.locale,
      });
      await revokeToken(pool, { personId: p.id });
      tokens[p.id] = (await issueToken(pool, p.id)).token;
    }
    for (const p of demoNightCrew)
      await addPerson(pool, { id: p.id, displayName: p.displayName, email: `${p.id}@demo-hospital.example`, roles: ['viewer'] });
  } finally {
    await pool.end();
  }
  const asLead = { 'content-type': 'application/json', authorization: `Bearer ${tokens['p-lead-01']}` };
  const program = await fetch(`${apiUrl}/v1/programs`, { method: 'POST', headers: asLead, body: JSON.stringify(demoPlanWithDomains()) });
  const conflict = program.status === 409 ? ((await program.json()) as { error?: string; status?: string }) : undefined;
  if (conflict?.error === 'program_finished') {
    // The demo's life cycle ran to its end earlier: shown as it ended, never started over.
    logger.info({ programId: demoPlan().programId, status: conflict.status }, 'demo program already finished');
    return { tokens, finished: conflict.status ?? 'finished', rehearsals: [] };
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
  const rehearsals = await seedPilotNights(apiUrl, asLead);
  logger.info({ programId: demoPlan().programId, rehearsals }, 'demo hospital seeded');
  return { tokens, rehearsals };
}

/**
 * The pilot's nights: the rotas the templates name, each pilot department's runbook from the
 * templates (stored on the first start only), and a dress rehearsal of each
 * on a compressed clock, mailing only the demo's list. Its report and the readiness gate's
 * rehearsal criteria follow from it. A rehearsal that has run before is not run again (409).
 */
async function seedPilotNights(apiUrl: string, asLead: Record<string, string>): Promise<string[]> {
  const plan = parsePlan(demoPlanWithDomains());
  const program = `${apiUrl}/v1/programs/${plan.programId}`;
  const put = async (path: string, body: unknown, ok: number[], what: string, method = 'PUT') => {
    const res = await fetch(`${program}${path}`, { method, headers: asLead, body: JSON.stringify(body) });
    if (!ok.includes(res.status)) throw new Error(`demo seed: ${what} answered ${res.status}`);
  };
  for (const team of Teams) {
    const people = team === 'command' ? ['p-lead-01'] : demoNightCrew.filter((p) => p.team === team).map((p) => p.id);
    // One shift all week: the demo's night may be any hour.
    await put(
      `/rotas/${teamRota(team)}`,
      { timeZone: plan.hospital.timeZone, shifts: [{ day: 'mon', from: '00:00', people }] },
      [200],
      `the rota ${teamRota(team)}`,
    );
  }
  const rehearsals: string[] = [];
  for (const code of plan.waves[0]!.departments) {
    const dept = plan.departments.find((d) => d.code === code)!;
    if (!dept.runbook) continue;
    // Stored once: a lead may have approved a rehearsal's durations into it since, which a start must keep.
    const stored = await fetch(`${program}/runbooks/${dept.runbook}`, { headers: asLead });
    if (stored.status === 404)
      await put(`/runbooks/${dept.runbook}`, departmentRunbook(dept, { id: dept.runbook }), [201], `storing the runbook ${dept.runbook}`);
    else if (!stored.ok) throw new Error(`demo seed: reading the runbook ${dept.runbook} answered ${stored.status}`);
    const runId = `dress-${code}-1`;
    await put(
      '/runbook-runs',
      { runId, mode: 'rehearsal', runbookId: dept.runbook, speed: DEMO_REHEARSAL_SPEED, rehearsalRecipients: DEMO_REHEARSAL_RECIPIENTS },
      [201, 409],
      `the dress rehearsal ${runId}`,
      'POST',
    );
    rehearsals.push(runId);
  }
  return rehearsals;
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
