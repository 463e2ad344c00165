/** Nightly data-consistency comparison engine (public API). */
export { compareDomain } from './engine';
export { keyRanges } from './keyRanges';
export type { KeyRange } from './keyRanges';
export { loadCodeMaps } from './codeMaps';
export { outcomesOf, ComparisonError } from './result';
export type { CompareOptions, CompareProgress, CompareResult, ComparisonStatus, RunOutcomes } from './result';
export { DIFFERENCE_KINDS } from './differences';
export type { DifferenceKind } from './differences';
export { createSource, registerSourceKind, PostgresSource, FileSource } from './sources';
export type { Source, OpenContext, OpenedSource } from './sources';
export { DomainSpec, CompareInput, Thresholds, SourceConfig, FieldSpec, KeyField, Normalize, CodeMapSpec } from './spec';
export type { DomainSpecInput } from './spec';
