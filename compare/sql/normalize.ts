/** Text normalisation per field and side: which rules apply, and their canonical SQL expression. */
import type { DomainSpec, FieldSpec, Normalize } from '../spec';
import { col, comparedFields, type Side } from './columns';
import type { ServerTraits } from './traits';

export function mergeNorm(base: Partial<Normalize> | undefined, over: Partial<Normalize> | undefined): Normalize {
  return {
    nfkc: over?.nfkc ?? base?.nfkc ?? false,
    trim: over?.trim ?? base?.trim ?? false,
    case: over?.case ?? base?.case ?? 'none',
    emptyAsNull: over?.emptyAsNull ?? base?.emptyAsNull ?? false,
    lineBreaks: over?.lineBreaks ?? base?.lineBreaks ?? false,
  };
}

/** A text field's normalisation: the domain defaults overridden by the field's own. */
export function fieldNormalize(spec: DomainSpec, f: FieldSpec): Normalize {
  return mergeNorm(spec.defaults.normalize, f.normalize);
}

/** One side's normalisation of a text field: the field's, overridden by the side's own (`legacyNormalize` / `newNormalize`). */
export function sideNormalize(spec: DomainSpec, f: FieldSpec, side: Side): Normalize {
  return mergeNorm(fieldNormalize(spec, f), side === 'legacy' ? f.legacyNormalize : f.newNormalize);
}

/**
 * NULL and '' may hash alike (as '', one nullif call less per value) only when both sides read
 * '' as NULL and no value map can turn '' into something else: then equal hashes still mean
 * equal canonical values. With one side only, '' there and NULL on the other would hash alike.
 */
export function emptyHashesAsNull(spec: DomainSpec, f: FieldSpec): boolean {
  return !f.valueMap && sideNormalize(spec, f, 'legacy').emptyAsNull && sideNormalize(spec, f, 'new').emptyAsNull;
}

/** Source columns of this side that some text normalisation case-folds. */
export function caseFoldedColumns(spec: DomainSpec, side: Side): string[] {
  const out = new Set<string>();
  for (const k of spec.key) if ((k.normalize?.case ?? 'none') !== 'none') out.add(col(side, k));
  for (const f of comparedFields(spec)) {
    if (f.type === 'text' && sideNormalize(spec, f, side).case !== 'none') out.add(col(side, f));
  }
  return [...out];
}

export function normText(v: string, n: Normalize, traits: ServerTraits, column: string): string {
  const rest = (x: string, ascii: boolean): string => {
    let e = x;
    // CRLF first, then a lone CR (two plain replace calls cost less than one regexp_replace)
    if (n.lineBreaks) e = `replace(replace(${e}, E'\\r\\n', E'\\n'), E'\\r', E'\\n')`;
    if (n.trim) e = `btrim(${e})`;
    // "C" for ASCII values: about 0.15 µs less per value than a libc (C.UTF-8) case mapping
    const c = ascii && traits.asciiCase.has(column) ? ' COLLATE "C"' : '';
    if (n.case === 'upper') e = `upper(${e}${c})`;
    else if (n.case === 'lower') e = `lower(${e}${c})`;
    if (n.emptyAsNull) e = `nullif(${e}, '')`;
    return e;
  };
  const ascii = `octet_length(${v}) = length(${v})`;
  if (!traits.utf8) return rest(n.nfkc ? `normalize(${v}, NFKC)` : v, false);
  if (!n.nfkc) {
    // the ASCII test (~0.06 µs) costs less than the "C" case mapping saves (~0.15 µs)
    return n.case !== 'none' && traits.asciiCase.has(column)
      ? `(CASE WHEN ${ascii} THEN ${rest(v, true)} ELSE ${rest(v, false)} END)`
      : rest(v, false);
  }
  // NFKC leaves ASCII as it is, and normalize() costs about 0.1 µs per character (most of a
  // row's cost with several NFKC fields): ASCII values, and values already in NFKC, skip it.
  // The branches give the same text for such values, so the hash and the re-fetched value do
  // not depend on the branch taken.
  return `(CASE WHEN ${ascii} THEN ${rest(v, true)} WHEN ${v} IS NFKC NORMALIZED THEN ${rest(v, false)} ELSE ${rest(`normalize(${v}, NFKC)`, false)} END)`;
}

/**
 * Compared text fields without a code map whose canonical form costs the server work (NFKC,
 * trim, case, empty-as-NULL): candidates for hashing raw and mapping in Node from learnt
 * spellings. Without any normalisation the canonical hash is already the raw hash.
 */
export function learnableTextFields(spec: DomainSpec): FieldSpec[] {
  return comparedFields(spec).filter((f) => {
    if (f.type !== 'text' || f.codeMap || f.learnSpellings === false) return false;
    const work = (n: Normalize): boolean => n.nfkc || n.trim || n.case !== 'none' || n.emptyAsNull || n.lineBreaks;
    return !!f.valueMap || work(sideNormalize(spec, f, 'legacy')) || work(sideNormalize(spec, f, 'new'));
  });
}
