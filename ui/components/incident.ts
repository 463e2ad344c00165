/** Incidents as the API returns them, and their words for people. */
import type { IncidentDetailView, IncidentRowView } from '../../domain/incident-views';

/** As the API answers (api/routes/incidents.ts): one schema gives the route and these types. */
export type IncidentRow = IncidentRowView;
export type IncidentDetail = IncidentDetailView;
export type IncidentEvent = IncidentDetailView['timeline'][number];

/** The same words as the e-mails. */
export { whatHappened } from '../../domain/incident-words';

/** The resolution codes the API accepts (domain/escalation.ts ResolutionCode); their words are the catalog's `resolutionCode.*`. */
export const resolutionCodes = ['fixed', 'workaround', 'rolled-back', 'false-alarm', 'duplicate', 'not-reproducible', 'other'] as const;

/** A person the incident names, by name where the API knows it (an id is opaque to people). */
export const nameOf = (i: Pick<IncidentRow, 'names'>, personId: string | null | undefined): string =>
  personId ? (i.names[personId] ?? personId) : '—';
