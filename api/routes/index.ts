import type { AnyRoute } from '../route';
import { getTestNotificationRoute, sendTestNotificationRoute } from './notifications';
import { healthRoute } from './system';

/** Every route of the API; the OpenAPI document is generated from this list. */
export const routes: AnyRoute[] = [healthRoute, sendTestNotificationRoute, getTestNotificationRoute];
