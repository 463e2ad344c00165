/**
 * The incident views the API answers with (its response schemas) and the command center reads
 * (as types): one definition for both sides.
 */
import { z } from 'zod';

export const IncidentRow = z.object({
  incidentId: z.string(),
  workflowId: z.string(),
  programId: z.string(),
  departments: z.array(z.string()),
  condition: z.string(),
  severity: z.string(),
  counts: z.record(z.string(), z.number()),
  status: z.enum(['open', 'acknowledged', 'resolved']),
  level: z.number().nullable(),
  round: z.number().nullable(),
  ownerId: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  repeats: z.number(),
  raisedBy: z.string(),
  raisedAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolutionCode: z.string().nullable(),
  /** Display names of the people this incident names (owner, raiser, resolver; on the detail, the timeline's too), by id: pages show people by name. */
  names: z.record(z.string(), z.string()),
  /** The comparison domains it is about (names from the plan; empty for other incidents). */
  domains: z.array(z.string()),
  /** The plan's word for those of its domains that have one, by name: pages show it instead. */
  domainTitles: z.record(z.string(), z.string()),
});
export const TimelineEntry = z.object({
  at: z.string(),
  kind: z.string(),
  level: z.number().nullable(),
  round: z.number().nullable(),
  personId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export const IncidentDetail = IncidentRow.extend({
  timeline: z.array(TimelineEntry),
  resolutionNote: z.object({ code: z.string(), text: z.string(), personId: z.string(), at: z.string() }).nullable(),
});

export type IncidentRowView = z.infer<typeof IncidentRow>;
export type IncidentDetailView = z.infer<typeof IncidentDetail>;
