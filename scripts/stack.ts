/**
 * The whole golive stack on one machine, for the demo and for development:
 * PostgreSQL (embedded unless DATABASE_URL), migrations, the mail catcher, the Temporal dev
 * server (SQLite under DATA_DIR, Web UI on), the worker and the API. Ctrl-C stops all of it;
 * the next start finds its data again.
 *
 * Run it through scripts/bootstrap.mjs (`npm run demo`): that runs it on a supported Node, and
 * stops whatever a run that could not clean up after itself left behind (from the pid file this
 * script keeps). Each service is supervised: a crash is restarted with backoff, and after
 * MAX_RESTARTS within RESTART_WINDOW_MS the stack gives up loudly and stops. The terminal shows
 * the start-up summary, then only warnings and the story's milestones; every service's output
 * and the stack's own log go to files under DATA_DIR/logs/.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pino from 'pino';
import { dataDir, loadConfig, ownerDatabaseUrl, projectRoot } from '../platform/config';
import { prepareDatabase, withCredentials } from '../platform/db';
import { createApiClient, workerPolling } from '../platform/temporal';
import { createLogger } from '../platform/logger';
import {
  createDemoHospital,
  DEMO_LEGACY_URL_ENV,
  DEMO_NEW_URL_ENV,
  demoScenario,
  runSimulator,
  type DemoWaveStatus,
} from './demo-hospital';
import { runNightCrew } from './demo-hospital/night-crew';
import { ensureDatabase, portOpen, spawnTs, startMailCatcher, startTemporalDevServer, waitFor } from '../tools/services';
import type { ProgramStatus } from '../domain/rollout';
import { Supervised, warn, type ServiceSpec } from './stack/supervisor';
import { takenPorts } from './stack/ports';
import { milestones } from './stack/milestones';

const clock = () => new Date().toTimeString().slice(0, 8);
const milestone = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);

async function main() {
  // The demo receives check-off replies (DONE <task>): on the port after the mail catcher's, for a
  // domain of its own; the processes it starts inherit both.
  process.env.INBOUND_MAIL_DOMAIN ||= 'golive.localhost';
  process.env.INBOUND_SMTP_PORT ||= String(loadConfig().SMTP_PORT + 1);
  const config = loadConfig();
  const data = dataDir(config);
  const logsDir = join(data, 'logs');
  // Request logs (like the mail catcher's messages) are not for the machine's other users.
  mkdirSync(data, { recursive: true });
  mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  chmodSync(logsDir, 0o700);
  const logger = createLogger(
    config.LOG_LEVEL,
    'golive-stack',
    pino.destination({ dest: join(logsDir, 'stack.log'), append: true, sync: true }),
  );
  const shown = (path: string) => (path.startsWith(projectRoot) ? relative(projectRoot, path) : path);

  const services: Supervised[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const pidFile = join(data, 'stack.pids.json');
  const writePids = () => {
    const record = {
      stack: { pid: process.pid, cmd: 'scripts/stack.ts' },
      services: services
        .filter((s) => s.pid)
        .map((s) => ({ name: s.spec.name, pid: s.pid, cmd: s.spec.marker, signal: s.spec.signal, group: true })),
    };
    writeFileSync(`${pidFile}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${pidFile}.tmp`, pidFile);
  };
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping the stack');
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const s of [...services].reverse()) await s.stop();
    rmSync(pidFile, { force: true });
    process.exit(code);
  };
  writePids();
  const hooks = {
    stopping: () => stopping,
    changed: writePids,
    giveUp: (why: string) => {
      warn(`${why}. Stopping the stack.`);
      logger.error(why);
      void stopAll(1);
    },
  };
  const supervise = async (spec: ServiceSpec) => {
    const s = new Supervised(spec, logsDir, hooks);
    services.push(s);
    await s.start();
  };
  // Conventional exit codes for a stop by signal (128 + signal number).
  process.on('SIGINT', () => void stopAll(130));
  process.on('SIGTERM', () => void stopAll(143));
  process.on('SIGHUP', () => void stopAll(129));

  try {
    const t0 = performance.now();
    const taken = await takenPorts(config);
    if (taken.length) {
      for (const t of taken) warn(t);
      warn('the stack did not start');
      process.exit(1);
    }
    if (!config.DATABASE_URL) {
      const adminUrl = `postgres://golive:golive@127.0.0.1:${config.EMBEDDED_PG_PORT}/postgres`;
      await supervise({
        name: 'postgres',
        label: 'the embedded PostgreSQL',
        marker: 'scripts/embedded-postgres.ts',
        signal: 'SIGINT',
        async start(log) {
          const pg = spawnTs('scripts/embedded-postgres.ts', process.env, log);
          try {
            await waitFor('the embedded PostgreSQL', () => ensureDatabase(adminUrl, 'golive').then(() => true), 120_000, pg);
          } catch (err) {
            pg.kill('SIGKILL');
            throw new Error(`${(err as Error).message}; why: the last lines of ${shown(join(logsDir, 'postgres.log'))}`);
          }
          return { process: pg, stop: () => pg.stopGracefully() };
        },
      });
    }
    const ownerUrl = ownerDatabaseUrl(config);
    // The worker and API connect as a role that may only append to the audit trail; on the embedded
    // PostgreSQL it is golive_app, with a new password at every start (given to them alone).
    const dbUrl = config.DATABASE_URL ?? withCredentials(ownerUrl, 'golive_app', randomBytes(18).toString('base64url'));
    await prepareDatabase(ownerUrl, dbUrl, logger);
    // The demo hospital's legacy and new systems, side by side on the same cluster.
    const hospital = await createDemoHospital({ adminUrl: ownerUrl.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });

    let mailUrl = '';
    await supervise({
      name: 'mail',
      label: 'the mail catcher',
      marker: 'maildev',
      signal: 'SIGTERM',
      async start(log) {
        const mail = await startMailCatcher({ smtpPort: config.SMTP_PORT, webPort: config.MAIL_UI_PORT, mailDir: join(data, 'mail'), log });
        mailUrl = mail.webUrl;
        return mail;
      },
    });

    let temporalUi = '';
    const temporalPort = Number(config.TEMPORAL_ADDRESS.split(':')[1]);
    await supervise({
      name: 'temporal',
      label: 'the Temporal dev server',
      marker: 'server start-dev',
      signal: 'SIGTERM',
      async start(log) {
        const temporal = await startTemporalDevServer({
          port: temporalPort,
          uiPort: config.TEMPORAL_UI_PORT,
          dbFile: join(data, 'temporal.db'),
          log,
        });
        temporalUi = temporal.uiUrl ?? '';
        return { process: temporal.process!, stop: () => temporal.stop() };
      },
    });

    const env = { ...process.env, DATABASE_URL: dbUrl, [DEMO_LEGACY_URL_ENV]: hospital.legacyUrl, [DEMO_NEW_URL_ENV]: hospital.newUrl };
    await supervise({
      name: 'worker',
      label: 'the worker',
      marker: 'worker/main.ts',
      signal: 'SIGTERM',
      async start(log) {
        const worker = spawnTs('worker/main.ts', env, log);
        // Ready once it polls: before that the API answers the program's reads with 503.
        const client = createApiClient(config);
        try {
          await waitFor('the worker', () => workerPolling(client, config), 120_000, worker);
        } finally {
          await client.connection.close();
        }
        return { process: worker, stop: () => worker.stopGracefully() };
      },
    });
    await supervise({
      name: 'api',
      label: 'the API',
      marker: 'api/main.ts',
      signal: 'SIGTERM',
      async start(log) {
        const api = spawnTs('api/main.ts', env, log);
        await waitFor('the API', () => portOpen(config.API_PORT, config.API_HOST), 60_000, api);
        return { process: api, stop: () => api.stopGracefully() };
      },
    });

    const apiUrl = `http://${config.API_HOST}:${config.API_PORT}`;
    const { demoPeople, seedDemo } = await import('./demo-seed');
    const { tokens, finished, rehearsals } = await seedDemo({ apiUrl, config, logger });
    // The night crew checks the pilot's runbook tasks off: the dress rehearsals now, the live nights when the pilot starts.
    if (!finished) {
      const crew = runNightCrew({
        apiUrl,
        programId: 'demo-program',
        signers: [tokens['p-lead-01']!, tokens['p-admin-01']!],
        runs: async () => rehearsals,
        onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'demo night crew tick failed'),
      });
      cleanups.push(() => crew.stop());
    }
    // Staff of the departments live on the new system record their day in both systems. No random
    // discrepancies: the demo's story is scripted (scripts/demo-hospital/scenario.ts), a warning
    // night in the pilot and a critical one when the pharmacy goes live, and every other night is
    // clean, so the final gate can open.
    let waves: DemoWaveStatus[] = [];
    let last: ProgramStatus | undefined;
    const programStatus = async (): Promise<ProgramStatus> => {
      const res = await fetch(`${apiUrl}/v1/programs/demo-program`, { headers: { authorization: `Bearer ${tokens['p-viewer-01']}` } });
      if (!res.ok) throw new Error(`demo-hospital: the program's status answered ${res.status}`);
      return (await res.json()) as ProgramStatus;
    };
    const simulator = runSimulator({
      legacyUrl: hospital.legacyUrl,
      newUrl: hospital.newUrl,
      everyMs: 30_000,
      // Visits per department and demo day: enough for the grid and the chart to mean something,
      // small enough that a whole life cycle leaves .data/ near 100 MB.
      volume: 400,
      discrepancyRate: 0,
      liveDepartments: async () => {
        // Skip the tick on an error: recording the day with nobody live would empty the new system's day.
        const status = await programStatus();
        waves = status.waves;
        return status.departments.filter((d) => d.state === 'live-parallel' || d.state === 'cut-over').map((d) => d.code);
      },
      scripted: () => demoScenario(waves),
      onError: (err) => logger.warn({ code: (err as { code?: string }).code }, 'demo simulator tick failed'),
    });
    cleanups.push(() => simulator.stop());
    // The story's milestones, as they happen.
    let unanswered = 0;
    const watch = setInterval(() => {
      programStatus().then(
        (now) => {
          if (unanswered >= 3) warn('the program answers again');
          unanswered = 0;
          for (const line of milestones(last, now)) milestone(line);
          last = now;
        },
        (err: unknown) => {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'program status unavailable');
          if (++unanswered === 3)
            warn(
              `the program's status has not answered for 15 s (${err instanceof Error ? err.message : String(err)}); see ${shown(logsDir)}/`,
            );
        },
      );
    }, 5000);
    cleanups.push(async () => clearInterval(watch));
    last = await programStatus().catch(() => undefined);

    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const logs = shown(logsDir);
    process.stdout.write(
      [
        '',
        `golive is up (${seconds} s, Node ${process.versions.node}). Ctrl-C stops everything; data stays in ${shown(data)}/.`,
        `  Command center ${config.PUBLIC_BASE_URL}/   (open this first: sign in as p-lead-01 with the token below; walkthrough: docs/demo.md)`,
        `  API            ${apiUrl}   (${apiUrl}/openapi.json, ${apiUrl}/healthz)`,
        `  Temporal UI    ${temporalUi}`,
        `  Mail catcher   ${mailUrl}`,
        `  Replies        smtp://${config.INBOUND_SMTP_HOST}:${config.INBOUND_SMTP_PORT}   (answer a runbook task e-mail to its Reply-To with DONE <task> to check it off)`,
        `  Logs           ${logs}/: api.log (requests), worker.log, postgres.log, temporal.log, mail.log, stack.log`,
        '',
        "Demo sign-in tokens (the command center's sign-in, or Authorization: Bearer <token>), new at every start:",
        ...Object.entries(tokens).map(
          ([person, token]) => `  ${person.padEnd(12)} ${token}  ${demoPeople.find((p) => p.id === person)?.roles.join(', ') ?? ''}`,
        ),
        '',
        ...(finished
          ? [
              `The demo program has finished (${finished}): the command center shows it as it ended. To run the story again, stop the stack`,
              `and start it on a fresh data folder: DATA_DIR=.data-2 npm run demo (or remove ${shown(data)}/ first).`,
              '',
            ]
          : [`The story's milestones follow here (about 20 minutes); warnings too. Everything else is in ${logs}/.`, '']),
      ].join('\n'),
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.error({ err: message }, 'the stack failed to start');
    warn(`the stack failed to start: ${message}`);
    await stopAll(1);
  }
}

void main();
