/** Incidents as the API returns them, and their words for people. */
import type { IncidentDetailView, IncidentRowView } from '../../domain/incident-views';

/** As the API answers (api/routes/incidents.ts): one schema gives the route and these types. */
export type IncidentRow = IncidentRowView;
export type IncidentDetail = IncidentDetailView;
export type IncidentEvent = IncidentDetailView['timeline'][number];

/** The same words as the e-mails. */
export { whatHappened } from '../../domain/incident-words';

export const departmentsText = (d: string[]) => (d.length ? d.join(', ') : 'hospital-wide');

/** The resolution codes the API accepts (domain/escalation.ts ResolutionCode). */
export const resolutionCodes = [
  { value: 'fixed', label: 'fixed' },
  { value: 'workaround', label: 'workaround in place' },
  { value: 'rolled-back', label: 'rolled back' },
  { value: 'false-alarm', label: 'false alarm' },
  { value: 'duplicate', label: 'duplicate of another incident' },
  { value: 'not-reproducible', label: 'not reproducible' },
  { value: 'other', label: 'other (say in the note)' },
];

export const statusText: Record<IncidentRow['status'], string> = {
  open: 'open: nobody owns it yet',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};
