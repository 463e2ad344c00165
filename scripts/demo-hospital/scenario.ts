/**
 * What goes wrong in the demo, and when: two scripted discrepancy episodes tied to the moments
 * waves go live, so a newcomer sees the same story whatever the hour (the random discrepancy rate
 * of the demo stack is zero, so every other night is clean and the final gate can open).
 *
 * - The pilot's first night ends as a WARNING: three laboratory charges recorded in the legacy
 *   system never reached the new one while the interface engine switched over (3 differing keys:
 *   above the warning threshold of 0, not above the critical one of DEMO_THRESHOLDS).
 * - The night the pharmacy goes live ends CRITICAL: it dispenses twelve drugs created in the legacy
 *   dictionary after the code mapping was frozen (12 unmapped codes, above the critical 10). The
 *   parallel run raises a sev2 incident that climbs the demo plan's on-call ladder.
 */
import type { DemoDomainName } from './domains';
import type { DiscrepancyKind, ScriptedDiscrepancies } from './discrepancies';

/** A wave as the program's status shows it (GET /v1/programs/{id}: waves). */
export interface DemoWaveStatus {
  wave: number;
  departments: string[];
  wentLiveAt?: string;
}

interface Episode {
  department: string;
  domain: DemoDomainName;
  kind: DiscrepancyKind;
  count: number;
  /**
   * After the department's wave went live. The simulator learns of a wave at its next tick (every
   * 30 s) and records the episode at once, well before the night holding this instant is compared.
   * For the pilot it falls inside the first night, which starts when the pilot went live.
   */
  afterMs: number;
}

export const DEMO_EPISODES = {
  pilotTeething: { department: 'LAB', domain: 'charges', kind: 'charge-missing-in-new', count: 3, afterMs: 90_000 },
  pharmacyDictionaryGap: { department: 'PHARM', domain: 'dispensing', kind: 'unmapped-code', count: 12, afterMs: 90_000 },
} as const satisfies Record<string, Episode>;

/** The episodes due so far: one per episode whose department's wave has gone live. */
export function demoScenario(waves: readonly DemoWaveStatus[]): ScriptedDiscrepancies[] {
  return Object.values(DEMO_EPISODES).flatMap((e) => {
    const wave = waves.find((w) => w.departments.includes(e.department));
    if (!wave?.wentLiveAt) return [];
    return [
      { at: new Date(Date.parse(wave.wentLiveAt) + e.afterMs), department: e.department, domain: e.domain, kind: e.kind, count: e.count },
    ];
  });
}
