import type { DomainResult } from '../../domain/parallel-run';
import { usePoll } from '../poll';

/** GET /v1/programs/{id}/parallel-run/nights, as the API sends it. */
export interface NightRow {
  businessDay: string;
  from: string;
  to: string;
  results: Record<string, DomainResult>;
}
export interface NightsAnswer {
  domains: string[];
  nights: NightRow[];
}

/** A night is compared a few times an hour in the demo at most: a slower poll than the status is enough. */
export function useNights(programId: string, everyMs = 10_000) {
  return usePoll<NightsAnswer>(`/v1/programs/${encodeURIComponent(programId)}/parallel-run/nights`, everyMs);
}

/** "2026-11-26" stays; a demo interval "2026-11-26T17:20:00" reads "2026-11-26 17:20". */
export function nightLabel(businessDay: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}))?$/.exec(businessDay);
  if (!m) return businessDay;
  return m[3] && m[3] !== '00' ? `${m[1]} ${m[2]}:${m[3]}` : `${m[1]} ${m[2]}`;
}

export const nightHref = (programId: string, businessDay: string) => `/programs/${programId}/parallel-run/nights/${businessDay}`;

/**
 * The program on screen's domain titles (the plan's words), set by ProgramFrame from the status it
 * polls before its pages render: a page shows one program, and the fifteen places that word a
 * domain then need no titles passed down to them.
 */
let titles: Record<string, string> = {};
export const showDomainTitles = (next: Record<string, string> | undefined) => void (titles = next ?? {});

/** A domain as people know it: the plan's title, else its name with spaces. */
export const domainLabel = (domain: string) => titles[domain] ?? domain.replace(/_/g, ' ');
