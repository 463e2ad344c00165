/** The plan's public surface in one import (some forty importers): each part lives in the module named after it. */
export { PLAN_SCHEMA_VERSION, EmergencySettings, Policies, PlanShape, type Plan } from './shape';
export {
  ProgramId,
  DepartmentCode,
  AdapterId,
  StepId,
  ActionCode,
  DepartmentKind,
  Criticality,
  SystemKind,
  Weekday,
  IsoDuration,
  durationMs,
  LocalTime,
  LocalDateTime,
  TEMPLATE_PLACEHOLDERS,
  type TemplatePlaceholder,
} from './scalars';
export { HttpRequest, Compensation, type Step, SimulatedFailure, SimulatedAdapter, HeaderValue, HttpAdapter, Adapter } from './adapters';
export {
  Criterion,
  type CriterionId,
  DEFAULT_READINESS_CRITERIA,
  DEFAULT_EXPANSION_CRITERIA,
  Approver,
  GateRule,
  type Gate,
} from './gates';
export { type Department, StartWindow, Blackout, type Wave } from './waves';
export { ComparisonSource, ComparisonDomain, DomainName, type OnCritical, ParallelRunSettings } from './parallel-run';
export { PILOT_MINIMUM_DAYS, WAVE_MINIMUM_DAYS, PARALLEL_RUN_MINIMUM_DAYS } from './cross-field';
export { CutoverPlan, type PlanInput, type PlanIssue, planIssues, type PlanValidation, validatePlan, parsePlan } from './schema';
