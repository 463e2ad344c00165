/** Nightly data-consistency comparison engine (public API). */
export { compareDomain, keyRanges, loadCodeMaps, outcomesOf, ComparisonError } from './engine';
export type { CompareResult, ComparisonStatus, KeyRange, RunOutcomes } from './engine';
export { DIFFERENCE_KINDS } from './differences';
export type { DifferenceKind } from './differences';
export { createSource, registerSourceKind, PostgresSource, FileSource } from './sources';
export type { Source, OpenContext, OpenedSource } from './sources';
export { DomainSpec, CompareInput, Thresholds, SourceConfig, FieldSpec, KeyField, Normalize, CodeMapSpec } from './spec';
export type { DomainSpecInput } from './spec';
