/** The row hash: each compared field's seed and NULL hash, XOR-ed into one int8 per row. */
import type { FieldPlan } from './fields';

/** Seed of the i-th compared field's hash. */
export function fieldSeed(i: number): number {
  return 1009 + i;
}

/** The i-th compared field's hash of NULL. */
export function nullHash(i: number): bigint {
  return BigInt(-(7919 * (i + 1)));
}

export function fieldHash(p: FieldPlan, i: number): string {
  return `coalesce(${p.hash(fieldSeed(i))}, ${nullHash(i)}::int8)`;
}

/** XOR of the field hashes, without the fields mapped in Node (sent as columns of their own). */
export function rowHashExpr(plans: FieldPlan[]): string {
  const parts = plans.map((p, i) => (p.nodeMapped ? null : fieldHash(p, i))).filter((x): x is string => x !== null);
  return parts.length === 0 ? '0::int8' : parts.join(' # ');
}

/** Indexes (in `plans`) of the fields mapped in Node, in stream column order. */
export function nodeMappedIndexes(plans: FieldPlan[]): number[] {
  return plans.flatMap((p, i) => (p.nodeMapped ? [i] : []));
}

/** The NULL hash of each Node-mapped field, in stream column order (what `raw` gives a NULL in the re-fetch). */
export function nodeMappedNullHashes(plans: FieldPlan[]): bigint[] {
  return nodeMappedIndexes(plans).map((i) => nullHash(i));
}
