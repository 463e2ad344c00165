/** The side's query result as the SQL builders see it: its columns per side and their PostgreSQL types. */
import { escapeIdentifier } from 'pg';
import type { DomainSpec, FieldSpec } from '../spec';

export type Side = 'legacy' | 'new';

/** Result column description from a LIMIT 0 probe of the side's query. */
export interface ColumnInfo {
  typeOid: number;
  typmod: number;
}
export type ColumnTypes = Map<string, ColumnInfo>;

export const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

export const TEXTUAL = new Set<number>([OID.text, OID.varchar, OID.bpchar, 0]);

export const INTEGER_OIDS = new Set<number>([OID.int2, OID.int4, OID.int8]);

export function col(side: Side, f: { name: string; legacyColumn?: string; newColumn?: string }): string {
  return (side === 'legacy' ? f.legacyColumn : f.newColumn) ?? f.name;
}

export function colRef(name: string): string {
  return `q.${escapeIdentifier(name)}`;
}

export function textInput(ref: string): string {
  return `nullif(btrim(${ref}::text), '')`;
}

export function comparedFields(spec: DomainSpec): FieldSpec[] {
  const ignored = new Set(spec.ignore);
  return spec.fields.filter((f) => !f.ignore && !ignored.has(f.name));
}
