/**
 * The demo hospital: two real databases (the legacy HIS and the new EMR/HIS, as two different
 * vendors would build them) and a simulator recording each day's activity in both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ensureDatabase } from '../../tools/services';
import { DEMO_DEPARTMENTS, codeMapRows } from './catalog';

export * from './catalog';
export * from './domains';
export {
  DISCREPANCY_KINDS,
  DOMAIN_DISCREPANCIES,
  expectedDifference,
  type DiscrepancyKind,
  type InjectedDiscrepancy,
  type ScriptedDiscrepancies,
} from './discrepancies';
export { type DomainTruth, type SimulateDayOptions, type SimulatedDay } from './plan-day';
export { runSimulator, simulateDay, type RunSimulatorOptions, type SimulatorHandle } from './simulator';
export { PATIENT_POOL, patient, type Patient } from '../../adapters/hospital/demo-patients';
export { DEMO_EPISODES, demoScenario, type DemoWaveStatus } from './scenario';

export const DEMO_LEGACY_DATABASE = 'golive_demo_legacy';
export const DEMO_NEW_DATABASE = 'golive_demo_new';

function databaseUrl(adminUrl: string, name: string): string {
  return adminUrl.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
}

async function apply(url: string, work: (c: Client) => Promise<void>): Promise<void> {
  const c = new Client({ connectionString: url, application_name: 'golive-demo-hospital' });
  await c.connect();
  try {
    const enc = await c.query<{ e: string }>(`SELECT current_setting('server_encoding') AS e`);
    // NFKC normalisation in the comparison needs UTF-8.
    if (enc.rows[0]?.e !== 'UTF8') throw new Error('demo-hospital: the databases must use UTF8 encoding');
    await work(c);
  } finally {
    await c.end();
  }
}

/**
 * Create (if missing) the two databases with their schemas, the legacy department dictionary and
 * the code map; idempotent. Returns their connection strings (DEMO_LEGACY_DB_URL, DEMO_NEW_DB_URL).
 */
export async function createDemoHospital(opts: {
  adminUrl: string;
  legacyDatabase?: string;
  newDatabase?: string;
}): Promise<{ legacyUrl: string; newUrl: string }> {
  const legacyDb = opts.legacyDatabase ?? DEMO_LEGACY_DATABASE;
  const newDb = opts.newDatabase ?? DEMO_NEW_DATABASE;
  for (const name of [legacyDb, newDb]) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error('demo-hospital: database names must be plain lower-case identifiers');
    await ensureDatabase(opts.adminUrl, name);
  }
  const legacyUrl = databaseUrl(opts.adminUrl, legacyDb);
  const newUrl = databaseUrl(opts.adminUrl, newDb);

  await apply(legacyUrl, async (c) => {
    await c.query(readFileSync(join(__dirname, 'legacy-schema.sql'), 'utf8'));
    await c.query(
      `INSERT INTO sys_dept (dept_code, dept_name) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (dept_code) DO UPDATE SET dept_name = EXCLUDED.dept_name`,
      [DEMO_DEPARTMENTS.map((d) => d.legacyCode), DEMO_DEPARTMENTS.map((d) => d.name)],
    );
  });
  await apply(newUrl, async (c) => {
    await c.query(readFileSync(join(__dirname, 'new-schema.sql'), 'utf8'));
    const rows = codeMapRows();
    await c.query(
      `INSERT INTO code_map (kind, legacy_code, new_code) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (kind, legacy_code) DO UPDATE SET new_code = EXCLUDED.new_code`,
      [rows.map((r) => r.kind), rows.map((r) => r.legacyCode), rows.map((r) => r.newCode)],
    );
  });
  return { legacyUrl, newUrl };
}
