/**
 * The discrepancies the demo hospital injects (random or scripted) and the difference the
 * comparison engine must report for each: the truth the simulator returns.
 */
import type { DifferenceKind } from '../../compare';
import { unit } from '../../adapters/hospital/demo-patients';
import type { DemoDomainName } from './domains';

export const DISCREPANCY_KINDS = ['charge-missing-in-new', 'amount-off', 'unmapped-code', 'duplicate', 'result-missing-in-legacy'] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** Which discrepancies can happen in which domain. */
export const DOMAIN_DISCREPANCIES: Record<DemoDomainName, readonly DiscrepancyKind[]> = {
  registrations: ['amount-off', 'duplicate'],
  orders: ['duplicate'],
  charges: ['charge-missing-in-new', 'amount-off', 'unmapped-code', 'duplicate'],
  lab_results: ['result-missing-in-legacy', 'duplicate'],
  dispensing: ['amount-off', 'unmapped-code', 'duplicate'],
};

const AMOUNT_FIELD: Partial<Record<DemoDomainName, string>> = {
  registrations: 'registration_fee',
  charges: 'amount',
  dispensing: 'amount',
};
const CODE_FIELD: Partial<Record<DemoDomainName, string>> = { charges: 'item_code', dispensing: 'drug_code' };

/** The difference the comparison engine reports for an injected discrepancy. */
export function expectedDifference(domain: DemoDomainName, kind: DiscrepancyKind): { kind: DifferenceKind; field: string | null } {
  switch (kind) {
    case 'charge-missing-in-new':
      return { kind: 'missing_in_new', field: null };
    case 'result-missing-in-legacy':
      return { kind: 'missing_in_legacy', field: null };
    case 'duplicate':
      return { kind: 'duplicate_in_new', field: null };
    case 'amount-off':
      return { kind: 'mismatch', field: AMOUNT_FIELD[domain] ?? null };
    case 'unmapped-code':
      return { kind: 'unmapped_code', field: CODE_FIELD[domain] ?? null };
  }
}

export interface InjectedDiscrepancy {
  kind: DiscrepancyKind;
  /** The domain's key value (opaque record number). */
  key: string;
  difference: { kind: DifferenceKind; field: string | null };
}

/**
 * A scripted discrepancy episode, for a demo that must show a given night's status whatever the
 * hour: `count` extra activities of `department` in `domain`, all in the second of `at` (so they
 * fall into one night), each with a discrepancy of `kind` (one of DOMAIN_DISCREPANCIES[domain]).
 * They are recorded as soon as the simulator knows of them, even ahead of the clock, so the
 * comparison of the night holding `at` finds them however soon after `at` it runs. Their keys
 * carry an S where ordinary keys have a digit, so they never collide with the day's own activities.
 */
export interface ScriptedDiscrepancies {
  at: Date;
  department: string;
  domain: DemoDomainName;
  kind: DiscrepancyKind;
  /** 1..99. */
  count: number;
}

export function injectedKind(
  seed: string,
  day: string,
  domain: DemoDomainName,
  key: string,
  rate: number,
  kinds: ReadonlySet<DiscrepancyKind>,
): DiscrepancyKind | null {
  const possible = DOMAIN_DISCREPANCIES[domain].filter((k) => kinds.has(k));
  if (possible.length === 0 || unit(`${seed}|${day}|${domain}|${key}|disc`) >= rate) return null;
  return possible[Math.floor(unit(`${seed}|${day}|${domain}|${key}|kind`) * possible.length)] ?? null;
}
