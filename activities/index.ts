import type { Pool } from 'pg';
import type { Mailer } from '../platform/mailer';
import { createMailActivities } from './mail/send';

export interface ActivityDeps {
  pool: Pool;
  mailer: Mailer;
  mailFrom: string;
  publicBaseUrl: string;
}

/** The only code that touches the outside world. The worker injects real clients, tests inject test servers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createMailActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
