import type { Pool } from 'pg';
import type { Mailer } from '../platform/mailer';
import { hospitalAdapters, type HospitalAdapter } from '../adapters/hospital';
import { createAuditActivities } from './audit';
import { createChatActivities } from './chat/send';
import { createDowntimeActivities } from './downtime';
import { failFast } from './failures';
import { peopleTableResolver } from '../app/people';
import { createAdapterActivities } from './hospital';
import { createIncidentActivities } from './incidents';
import { createMailActivities } from './mail/send';
import { createMigrationActivities } from './migration';
import { createNotifyActivities } from './notify';
import { createParallelRunActivities } from './parallel-run';
import { createRolloutActivities } from './rollout';
import { createRunbookActivities, withCheckLink } from './runbooks';

export interface ActivityDeps {
  pool: Pool;
  mailer: Mailer;
  mailFrom: string;
  publicBaseUrl: string;
  /** The inbound SMTP listener's domain: runbook task notices invite a `DONE` reply (unset: they do not). */
  inboundMailDomain?: string;
  /** Where http adapters find the secrets a plan names by environment variable. */
  secrets?: Record<string, string | undefined>;
  /** Tests may stand in for a kind of hospital-system adapter. */
  adapters?: Partial<Record<'http' | 'simulated', HospitalAdapter>>;
}

/** The only code that touches the outside world. The worker injects real clients, tests inject test servers. */
export function createActivities(deps: ActivityDeps) {
  const mail = createMailActivities(deps);
  const adapterFor = hospitalAdapters({ pool: deps.pool, secrets: deps.secrets ?? {}, adapters: deps.adapters });
  return failFast({
    ...mail,
    ...createChatActivities(deps),
    ...createNotifyActivities({
      resolvePeople: peopleTableResolver(deps.pool),
      sendEmail: mail.sendEmail,
      personal: withCheckLink(deps.pool),
    }),
    ...createIncidentActivities(deps),
    ...createAuditActivities(deps),
    ...createRolloutActivities(deps),
    ...createRunbookActivities(deps),
    ...createDowntimeActivities({ pool: deps.pool, adapterFor }),
    ...createAdapterActivities({ adapterFor }),
    ...createParallelRunActivities({ pool: deps.pool, secrets: deps.secrets ?? {} }),
    ...createMigrationActivities({ pool: deps.pool, secrets: deps.secrets ?? {} }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
