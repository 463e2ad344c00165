/** Exact field comparison of canonical values (as text from PostgreSQL). */
import type { FieldSpec } from './spec';
import { NONEXISTENT_TIME } from './sql/time';

interface Dec {
  m: bigint;
  s: number;
}

function parseDecimal(v: string): Dec | null {
  const t = v.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  let digits = (m[2] || '0') + frac;
  let scale = frac.length - (m[4] ? Number(m[4]) : 0);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  let mant = BigInt(digits);
  if (m[1] === '-') mant = -mant;
  return { m: mant, s: scale };
}

function align(a: Dec, s: number): bigint {
  return a.m * 10n ** BigInt(s - a.s);
}

/** |a - b| <= tol, exactly (decimal arithmetic, no floating point). */
export function withinTolerance(a: string, b: string, tol: string | undefined): boolean {
  if (a === b) return true;
  const da = parseDecimal(a);
  const db = parseDecimal(b);
  if (!da || !db) return false;
  const dt = tol === undefined ? { m: 0n, s: 0 } : parseDecimal(tol);
  if (!dt) return false;
  const s = Math.max(da.s, db.s, dt.s);
  let d = align(da, s) - align(db, s);
  if (d < 0n) d = -d;
  return d <= align(dt, s);
}

export type FieldOutcome = 'equal' | 'mismatch' | 'unmapped' | 'ambiguous';

/**
 * Compare one field. `legacy` is the canonical legacy text (for mapped fields: the normalised
 * legacy code, mapped here), `next` the canonical new text. Returns the outcome and the legacy
 * value as it should be reported.
 */
export function compareField(
  f: FieldSpec,
  legacy: string | null,
  next: string | null,
  map: Map<string, string> | undefined,
  unmapped: 'report' | 'pass-through' = 'report',
): FieldOutcome {
  // a local time that does not exist in its zone (ambiguousTime set) is reported, whatever the other side holds
  if (f.type === 'timestamp' && (legacy?.startsWith(NONEXISTENT_TIME) || next?.startsWith(NONEXISTENT_TIME))) return 'ambiguous';
  let l = legacy;
  if (map && l !== null) {
    const mapped = map.get(l);
    if (mapped !== undefined) l = mapped;
    else if (unmapped === 'report') return 'unmapped';
  }
  if (l === null || next === null) return l === next ? 'equal' : 'mismatch';
  if (f.type === 'numeric' || f.type === 'integer') {
    return withinTolerance(l, next, f.tolerance) ? 'equal' : 'mismatch';
  }
  return l === next ? 'equal' : 'mismatch';
}
