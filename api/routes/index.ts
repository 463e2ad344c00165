import type { AnyRoute } from '../route';
import { listAuditRoute, verifyAuditRoute } from './audit';
import { reachRoutes } from './reach';
import { incidentRoutes } from './incidents';
import { getTestNotificationRoute, sendTestNotificationRoute } from './notifications';
import { parallelRunRoutes } from './parallel-run';
import { checkLinkRoutes } from './check-links';
import { runbookListRoutes } from './runbook-lists';
import { runbookPacketRoutes } from './runbook-packets';
import { runbookRoutes } from './runbooks';
import { programRoutes } from './programs';
import { peopleRoutes } from './people';
import { sessionRoutes } from './session';
import { healthRoute } from './system';

/** Every route of the API; the OpenAPI document is generated from this list. */
export const routes: AnyRoute[] = [
  healthRoute,
  sendTestNotificationRoute,
  getTestNotificationRoute,
  listAuditRoute,
  verifyAuditRoute,
  ...sessionRoutes,
  ...peopleRoutes,
  ...incidentRoutes,
  ...reachRoutes,
  ...programRoutes,
  ...parallelRunRoutes,
  ...runbookRoutes,
  ...runbookListRoutes,
  ...checkLinkRoutes,
  ...runbookPacketRoutes,
];
