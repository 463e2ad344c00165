/**
 * golive's search attributes, declared once with the type of what they hold. Workflows upsert
 * them, the incident raise sets them at start, and the dev server and docker-compose.yml
 * register them from this list: a value of the wrong shape (a department list in a single
 * Keyword) passes the time-skipping server but is refused by a real one, so the type lives
 * in one place only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const GoliveProgram = defineSearchAttributeKey('GoliveProgram', SearchAttributeType.KEYWORD);
/** Every department a workflow concerns: one for a go-live or rollback, several for an incident. */
export const GoliveDepartment = defineSearchAttributeKey('GoliveDepartment', SearchAttributeType.KEYWORD_LIST);
export const GoliveWave = defineSearchAttributeKey('GoliveWave', SearchAttributeType.INT);
export const GolivePhase = defineSearchAttributeKey('GolivePhase', SearchAttributeType.KEYWORD);

export const searchAttributeKeys: readonly { name: string; type: SearchAttributeType }[] = [
  GoliveProgram,
  GoliveDepartment,
  GoliveWave,
  GolivePhase,
];

/** The names the Temporal CLI takes (`--search-attribute NAME=TYPE`, `search-attribute create --type TYPE`). */
export const cliTypeName: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** temporal.api.enums.v1.IndexedValueType, as the operator service takes and answers it. */
export const indexedValueType: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/** Name to CLI type, in declaration order. */
export const searchAttributeRegistrations = (): [name: string, cliType: string][] =>
  searchAttributeKeys.map((k) => [k.name, cliTypeName[k.type]]);
