import type { AnyRoute } from '../route';
import { listAuditRoute, verifyAuditRoute } from './audit';
import { chatChannelRoutes } from './chat-channels';
import { incidentRoutes } from './incidents';
import { getTestNotificationRoute, sendTestNotificationRoute } from './notifications';
import { parallelRunRoutes } from './parallel-run';
import { runbookPacketRoutes } from './runbook-packets';
import { runbookRoutes } from './runbooks';
import { programRoutes } from './programs';
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
  ...incidentRoutes,
  ...chatChannelRoutes,
  ...programRoutes,
  ...parallelRunRoutes,
  ...runbookRoutes,
  ...runbookPacketRoutes,
];
