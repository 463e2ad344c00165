/** Incidents as the API returns them (api/routes/incidents.ts), and their words for people. */
export interface IncidentRow {
  incidentId: string;
  workflowId: string;
  programId: string;
  departments: string[];
  condition: string;
  severity: string;
  counts: Record<string, number>;
  status: 'open' | 'acknowledged' | 'resolved';
  level: number | null;
  round: number | null;
  ownerId: string | null;
  acknowledgedAt: string | null;
  repeats: number;
  raisedBy: string;
  raisedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionCode: string | null;
}

export interface IncidentEvent {
  at: string;
  kind: string;
  level: number | null;
  round: number | null;
  personId: string | null;
  detail: Record<string, unknown> | null;
}

export interface IncidentDetail extends IncidentRow {
  timeline: IncidentEvent[];
  resolutionNote: { code: string; text: string; personId: string; at: string } | null;
}

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
