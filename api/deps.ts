import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { LiveReads } from '../app/live-reads';
import type { LiveStreams } from '../app/live-streams';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';

/** What the API needs from the outside world, injected so tests pass real test servers. */
export interface Deps {
  config: Config;
  pool: Pool;
  temporal: Client;
  mailer: Mailer;
  logger: Logger;
  /** How long a verified token is trusted without asking PostgreSQL again (default 5000 ms); revocations take effect within it. */
  authCacheMs?: number;
  /** The shared read path of live workflow state (app/live-reads.ts); createApp makes one from the config when absent. */
  reads?: LiveReads;
  /** The shared pollers behind the Server-Sent Events streams (app/live-streams.ts); createApp makes them when absent. */
  streams?: LiveStreams;
}
