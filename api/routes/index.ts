import type { AnyRoute } from '../route';
import { listAuditRoute, verifyAuditRoute } from './audit';
import { incidentRoutes } from './incidents';
import { getTestNotificationRoute, sendTestNotificationRoute } from './notifications';
import { programRoutes } from './programs';
import { healthRoute } from './system';

/** Every route of the API; the OpenAPI document is generated from this list. */
export const routes: AnyRoute[] = [healthRoute, sendTestNotificationRoute, getTestNotificationRoute, listAuditRoute, verifyAuditRoute, ...incidentRoutes, ...programRoutes];
