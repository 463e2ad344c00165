/**
 * The cutover plan: one versioned zod schema shared by the API (validation, OpenAPI) and the
 * workflows (which receive the parsed plan). Cross-field checks report a stable rule name in
 * `params.rule`, so clients and tests can tell "department-in-two-waves" from a typo without
 * parsing messages. Runs in the workflow sandbox: no Node built-ins, no clock.
 */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { EscalationPolicy } from './escalation';
import { PersonId, Role } from './people';
// spec.ts is plain zod (no I/O, no Node built-ins), so it is safe in the workflow sandbox, and the
// plan and the comparison engine then validate domains with the one schema.
import { DomainSpec, FileSourceConfig, Thresholds } from '../compare/spec';

export const PLAN_SCHEMA_VERSION = 1;

const MINUTE = 60_000;
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Small building blocks
// ---------------------------------------------------------------------------------------------

/** The same opaque-id rule as PersonId: the program id appears in workflow ids and URLs. */
export const ProgramId = PersonId.describe('opaque program id');

export const DepartmentCode = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, 'must be a department code: upper-case letters, digits, _ and -, at most 32');
export type DepartmentCode = z.infer<typeof DepartmentCode>;

/** Ids of adapters and steps: they end up in workflow ids, logs and idempotency keys. */
const LocalId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an id: lower-case letters, digits, . _ -, at most 64');
export const AdapterId = LocalId;
export const StepId = LocalId;

export const ActionCode = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be an action code such as grant-access');

export const DepartmentKind = z.enum(['outpatient', 'inpatient', 'emergency', 'icu', 'lab', 'pharmacy', 'radiology', 'other']);
export const Criticality = z.enum(['low', 'medium', 'high', 'critical']);
export const SystemKind = z.enum(['HIS', 'EMR', 'LIS', 'RIS', 'PACS', 'pharmacy', 'billing', 'interface-engine', 'other']);
export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof Weekday>;

const isoDurationPattern = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * ISO-8601 durations limited to weeks, days, hours, minutes and seconds: years and months have
 * no fixed length, and a gate deadline must mean the same thing on every replay.
 */
export const IsoDuration = z.string().refine((s) => isoDurationPattern.test(s), {
  message: 'must be an ISO-8601 duration in weeks, days, hours, minutes or seconds, e.g. P2D or PT5M',
  params: { rule: 'bad-duration' },
});

/** Milliseconds of an IsoDuration (a day is 24 hours here: elapsed time, not calendar days). */
export function durationMs(iso: string): number {
  const m = isoDurationPattern.exec(iso);
  if (!m) throw new Error(`not a supported ISO-8601 duration: ${iso}`);
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return (w * 7 + d) * DAY + h * 3_600_000 + min * MINUTE + s * 1000;
}

/** Hospital-local wall time HH:mm. */
export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:mm');
/** The end of a time-of-day range: HH:mm, or 24:00 for the end of the day. */
const LocalTimeEnd = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a local time HH:mm (24:00 for midnight)');

/** A hospital-local date-time YYYY-MM-DDTHH:mm, without offset: the plan's time zone applies. */
export const LocalDateTime = z.string().refine(isLocalDateTime, {
  message: 'must be a hospital-local date-time YYYY-MM-DDTHH:mm',
  params: { rule: 'bad-local-datetime' },
});

function isLocalDateTime(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const back = new Date(Date.UTC(y, mo - 1, d, h, mi));
  return (
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi
  );
}

const ParamKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must be a parameter name');
const Params = z.record(ParamKey, z.string().max(1000)).default({});

export const TEMPLATE_PLACEHOLDERS = ['department', 'step', 'programId', 'attempt'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

function onlyKnownPlaceholders(template: string): boolean {
  const rest = template.replace(/\{\{(department|step|programId|attempt)\}\}/g, '');
  return !rest.includes('{{') && !rest.includes('}}');
}

const Template = (max: number) =>
  z
    .string()
    .max(max)
    .refine(onlyKnownPlaceholders, {
      message: `may only use the placeholders ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      params: { rule: 'unknown-placeholder' },
    });

// ---------------------------------------------------------------------------------------------
// Adapters and steps
// ---------------------------------------------------------------------------------------------

/** What an http adapter sends for a step or a compensation. */
export const HttpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Relative to the adapter's baseUrl; placeholders allowed. */
  // A check on the string itself (not a pipe), so that the OpenAPI document carries the pattern.
  path: Template(2000).regex(/^\/\S*$/, 'must start with / and contain no spaces'),
  /** A body template: only {{department}}, {{step}}, {{programId}}, {{attempt}}. */
  body: Template(16_000).optional(),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

export const Compensation = z.strictObject({
  action: ActionCode,
  params: Params,
  /** Required when the step's adapter is http. */
  request: HttpRequest.optional(),
});
export type Compensation = z.infer<typeof Compensation>;

const StepShape = z.strictObject({
  id: StepId,
  system: SystemKind,
  action: ActionCode,
  adapter: AdapterId,
  params: Params,
  /** Required when the adapter is http. */
  request: HttpRequest.optional(),
  /** Optional in the shape only so that a missing one is reported as `step-without-compensation`. */
  compensation: Compensation.optional(),
});
export type Step = z.output<typeof StepShape> & { compensation: Compensation };

/** A scripted failure of the simulated adapter, for tests and demos. */
export const SimulatedFailure = z.strictObject({
  /** Absent: the step fails in every department. */
  department: DepartmentCode.optional(),
  step: StepId,
  /** reject: the system refuses for good; transient: the first `times` attempts fail, then it works. */
  mode: z.enum(['reject', 'transient']).default('reject'),
  times: z.number().int().min(1).max(100).default(1),
});
export type SimulatedFailure = z.infer<typeof SimulatedFailure>;

export const SimulatedAdapter = z.strictObject({
  id: AdapterId,
  kind: z.literal('simulated'),
  delayMs: z.number().int().min(0).max(60_000).default(0),
  failSteps: z.array(SimulatedFailure).default([]),
  failCompensations: z.array(SimulatedFailure).default([]),
});

/** A header value is a literal or the name of an environment variable holding the secret: secrets never sit in a plan. */
export const HeaderValue = z.union([
  z.string().max(2000),
  z.strictObject({ secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name') }),
]);
export type HeaderValue = z.infer<typeof HeaderValue>;

const secretHeaders = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie']);

export const HttpAdapter = z.strictObject({
  id: AdapterId,
  kind: z.literal('http'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), HeaderValue).default({}),
  /**
   * The vendor's downtime endpoints, for the emergency switch to paper. `enter` answers with the
   * department's snapshot as JSON ({ census, activeOrders, pendingResults }, arrays of objects)
   * for its downtime packet. In these templates {{step}} is `downtime` and {{attempt}} the
   * emergency's number. Absent: the department's team switches by hand, the emergency shows it.
   */
  downtime: z.strictObject({ enter: HttpRequest, leave: HttpRequest }).optional(),
});

export const Adapter = z.discriminatedUnion('kind', [SimulatedAdapter, HttpAdapter]);
export type Adapter = z.infer<typeof Adapter>;

// ---------------------------------------------------------------------------------------------
// Departments, gates, waves
// ---------------------------------------------------------------------------------------------

const DepartmentShape = z.strictObject({
  code: DepartmentCode,
  name: z.string().min(1).max(200),
  kind: DepartmentKind,
  criticality: Criticality,
  /** Absent or empty: the plan's defaultSteps. */
  steps: z.array(StepShape).optional(),
});
export type Department = Omit<z.output<typeof DepartmentShape>, 'steps'> & { steps: Step[] };

const Percent = z.number().min(0).max(100);

/** Gate criteria, by id. New kinds (the parallel run's) join this union. */
export const Criterion = z.discriminatedUnion('id', [
  z.strictObject({ id: z.literal('uat-severe-fixed'), minPercent: Percent.default(100) }),
  z.strictObject({ id: z.literal('uat-ordinary-fixed'), minPercent: Percent.default(95) }),
  /** For the departments about to go live (see gateScope). */
  z.strictObject({ id: z.literal('training-pass-rate'), minPercent: Percent.default(95) }),
  z.strictObject({
    id: z.literal('backup-age'),
    maxHours: z
      .number()
      .positive()
      .max(24 * 14)
      .default(24),
  }),
  z.strictObject({ id: z.literal('migration-verified') }),
]);
export type Criterion = z.infer<typeof Criterion>;
export type CriterionId = Criterion['id'];

/** The practitioners' readiness evidence: 100% severe and 95% ordinary UAT defects fixed, 95% exam pass rate, a backup of at most a day, migration verified. */
export const DEFAULT_READINESS_CRITERIA: Criterion[] = [
  { id: 'uat-severe-fixed', minPercent: 100 },
  { id: 'uat-ordinary-fixed', minPercent: 95 },
  { id: 'training-pass-rate', minPercent: 95 },
  { id: 'backup-age', maxHours: 24 },
  { id: 'migration-verified' },
];
/** Before the next wave goes live its staff must have passed, and a fresh backup must exist. */
export const DEFAULT_EXPANSION_CRITERIA: Criterion[] = [
  { id: 'training-pass-rate', minPercent: 95 },
  { id: 'backup-age', maxHours: 24 },
];

export const Approver = z.strictObject({
  personId: PersonId,
  role: Role.extract(['leadership', 'lead', 'admin']),
});
export type Approver = z.infer<typeof Approver>;

/** all: every named approver says go. quorum: `required` go's. Either way a single no-go is a veto. */
export const GateRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('quorum'), required: z.number().int().min(1) }),
]);
export type GateRule = z.infer<typeof GateRule>;

const GateShape = z.strictObject({
  approvers: z.array(Approver),
  rule: GateRule.prefault({ kind: 'all' }),
  /** How long after the gate opens the approvers have to decide. */
  decisionDeadline: IsoDuration.default('P2D'),
  /** Absent: the defaults for the gate's place (readiness, expansion, or none). */
  criteria: z.array(Criterion).optional(),
});
export type Gate = Omit<z.output<typeof GateShape>, 'criteria'> & { criteria: Criterion[] };

/** Go-live may only start inside one of these (e.g. the pilot on a non-peak weekday morning). `to` is exclusive. */
export const StartWindow = z.strictObject({
  days: z.array(Weekday).min(1),
  from: LocalTime,
  to: LocalTimeEnd,
});
export type StartWindow = z.infer<typeof StartWindow>;

/** Go-live may not start in [from, to), hospital-local. */
export const Blackout = z.strictObject({
  from: LocalDateTime,
  to: LocalDateTime,
  reason: z.string().max(200).optional(),
});
export type Blackout = z.infer<typeof Blackout>;

const WaveShape = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  departments: z.array(DepartmentCode),
  /** Days live before the exit gate may open. Pilot: 2..28, default 14; others: 1..90, default 7. */
  minimumDays: z.number().int().optional(),
  /** Overrides minimumDays (demos run in minutes: PT5M). */
  minimumDuration: IsoDuration.optional(),
  startWindows: z.array(StartWindow).default([]),
  blackouts: z.array(Blackout).default([]),
  exitGate: GateShape,
});
export type Wave = Omit<z.output<typeof WaveShape>, 'minimumDays' | 'exitGate'> & { minimumDays: number; exitGate: Gate };

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name');

/** One side of a comparison. A connection string carries a password, so the plan names the environment variable holding it. */
export const ComparisonSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('postgres'),
    connection: z.strictObject({ urlEnv: EnvName }),
    /**
     * Read-only SELECT; $1 and $2 are the business-day window [from, to), and {{departments}}
     * becomes a text[] literal of the departments live for the whole window.
     */
    query: z.string().min(1).max(100_000),
  }),
  FileSourceConfig,
]);
export type ComparisonSource = z.infer<typeof ComparisonSource>;

/** A business domain (charges, orders, results ...) compared every night between the two systems. */
export const ComparisonDomain = z.strictObject({
  /** Used for the engine's run records, in incidents and in the nightly summaries. */
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a domain name: lower-case letters, digits, _ and -, at most 40'),
  spec: DomainSpec,
  legacy: ComparisonSource,
  new: ComparisonSource,
  thresholds: Thresholds.default({}),
  /** What a critical night asks of the program, besides the incident to the on-call. */
  onCritical: z.enum(['pause', 'propose-rollback', 'incident-only']).default('incident-only'),
});
export type ComparisonDomain = z.infer<typeof ComparisonDomain>;
export type OnCritical = ComparisonDomain['onCritical'];

export const ParallelRunSettings = z.strictObject({
  /** At least 14, unless minimumDuration overrides it. */
  minimumDays: z.number().int().min(1).max(365).default(14),
  /** Overrides minimumDays (demos: PT10M). */
  minimumDuration: IsoDuration.optional(),
  /** Hospital-local time of the nightly comparison. */
  nightlyAt: LocalTime.default('02:00'),
  /** Consecutive clean nights required before the final gate. */
  exitCleanNights: z.number().int().min(1).max(60).default(3),
  /** Demo override: compare every interval instead of nightly at nightlyAt. */
  comparisonEvery: IsoDuration.optional(),
  /**
   * The domains compared every night. Optional without a schema default, like maxParallelDomains
   * and settle, so parsed plans stored before they existed read the same: domain/parallel-run.ts
   * fills in [], 2 and PT5M.
   */
  domains: z.array(ComparisonDomain).optional(),
  /** How many domains are compared at once (each holds a snapshot on both systems). */
  maxParallelDomains: z.number().int().min(1).max(16).optional(),
  /** Differences are re-checked after this delay: rows still in flight between the systems do not count. */
  settle: IsoDuration.optional(),
});
export type ParallelRunSettings = z.infer<typeof ParallelRunSettings>;

/** What the emergency switch to paper needs from the plan: who is told, the runbook, the blank forms. */
export const EmergencySettings = z.strictObject({
  /** Told at once when an emergency is declared, besides leadership and the on-call ladder. */
  contacts: z.array(PersonId).max(200).default([]),
  runbookUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Blank downtime forms each packet includes, by form code. */
  downtimeForms: z
    .array(z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a form code'))
    .default(['census', 'medication-administration-record', 'order-requisition', 'lab-requisition', 'results-log']),
});
export type EmergencySettings = z.infer<typeof EmergencySettings>;

export const Policies = z.strictObject({
  onFailedStep: z.enum(['ask', 'auto-rollback']).default('ask'),
});
export type Policies = z.infer<typeof Policies>;

export const PlanShape = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  programId: ProgramId,
  hospital: z.strictObject({
    name: z.string().min(1).max(200),
    timeZone: z.string().refine((tz) => IANAZone.isValidZone(tz), {
      message: 'must be an IANA time zone such as Asia/Shanghai',
      params: { rule: 'bad-time-zone' },
    }),
  }),
  departments: z.array(DepartmentShape).min(1),
  adapters: z.array(Adapter).min(1),
  /** Steps for departments that list none. */
  defaultSteps: z.array(StepShape).optional(),
  /** In order; the first is the pilot. */
  waves: z.array(WaveShape),
  gates: z.strictObject({
    /** Before the pilot. */
    readiness: GateShape,
    /** Ends the parallel run. */
    final: GateShape,
  }),
  parallelRun: ParallelRunSettings.prefault({}),
  policies: Policies.prefault({}),
  /** The on-call ladder for the incidents workflows raise (failed steps and compensations, critical nights, overdue gates); times in the hospital's zone. */
  escalation: EscalationPolicy.omit({ timeZone: true }),
  emergency: EmergencySettings.prefault({}),
});
type PlanShape = z.output<typeof PlanShape>;

export type Plan = Omit<PlanShape, 'departments' | 'defaultSteps' | 'waves' | 'gates'> & {
  departments: Department[];
  defaultSteps?: Step[];
  waves: Wave[];
  gates: { readiness: Gate; final: Gate };
};

// ---------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------

export const PILOT_MINIMUM_DAYS = { min: 2, max: 28, default: 14 };
export const WAVE_MINIMUM_DAYS = { min: 1, max: 90, default: 7 };
export const PARALLEL_RUN_MINIMUM_DAYS = 14;
const MAX_OVERRIDE_MS = 90 * DAY;
const MAX_SETTLE_MS = 3_600_000;
const DECISION_DEADLINE_RANGE_MS = { min: MINUTE, max: 30 * DAY };

type Path = (string | number)[];

function checkPlan(plan: PlanShape, ctx: z.RefinementCtx): void {
  const issue = (path: Path, rule: string, message: string) => ctx.addIssue({ code: 'custom', path, message, params: { rule } });

  const departmentCodes = new Set<string>();
  plan.departments.forEach((d, i) => {
    if (departmentCodes.has(d.code)) issue(['departments', i, 'code'], 'duplicate-department', `department ${d.code} is listed twice`);
    departmentCodes.add(d.code);
  });

  const adapters = new Map<string, PlanShape['adapters'][number]>();
  plan.adapters.forEach((a, i) => {
    if (adapters.has(a.id)) issue(['adapters', i, 'id'], 'duplicate-adapter', `adapter ${a.id} is listed twice`);
    else adapters.set(a.id, a);
    if (a.kind !== 'http') return;
    const url = parseUrl(a.baseUrl);
    if (url?.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      issue(['adapters', i, 'baseUrl'], 'insecure-url', 'hospital systems are reached over https (plain http only on localhost)');
    }
    for (const [name, value] of Object.entries(a.headers)) {
      if (typeof value === 'string' && secretHeaders.has(name.toLowerCase())) {
        issue(['adapters', i, 'headers', name], 'literal-secret', `header ${name} carries a secret: use { secretEnv: 'NAME' }`);
      }
    }
  });

  const checkSteps = (steps: NonNullable<PlanShape['defaultSteps']>, at: Path) => {
    const ids = new Set<string>();
    steps.forEach((s, j) => {
      const path = [...at, j];
      if (ids.has(s.id)) issue([...path, 'id'], 'duplicate-step', `step ${s.id} is listed twice`);
      ids.add(s.id);
      const adapter = adapters.get(s.adapter);
      if (!adapter) issue([...path, 'adapter'], 'unknown-adapter', `no adapter ${s.adapter}`);
      if (!s.compensation)
        issue([...path, 'compensation'], 'step-without-compensation', `step ${s.id} needs a compensation: rollback undoes every step`);
      if (adapter?.kind === 'http') {
        if (!s.request)
          issue([...path, 'request'], 'http-step-without-request', `step ${s.id} uses http adapter ${adapter.id}: give method and path`);
        if (s.compensation && !s.compensation.request)
          issue(
            [...path, 'compensation', 'request'],
            'http-step-without-request',
            `the compensation of step ${s.id} uses http adapter ${adapter.id}: give method and path`,
          );
      }
    });
  };
  if (plan.defaultSteps) checkSteps(plan.defaultSteps, ['defaultSteps']);
  const stepIdsOf = new Map<string, Set<string>>();
  plan.departments.forEach((d, i) => {
    const own = d.steps && d.steps.length > 0;
    if (own) checkSteps(d.steps!, ['departments', i, 'steps']);
    else if (!plan.defaultSteps?.length)
      issue(
        ['departments', i, 'steps'],
        'department-without-steps',
        `department ${d.code} lists no steps and the plan has no defaultSteps`,
      );
    stepIdsOf.set(d.code, new Set((own ? d.steps! : (plan.defaultSteps ?? [])).map((s) => s.id)));
  });

  plan.adapters.forEach((a, i) => {
    if (a.kind !== 'simulated') return;
    for (const list of ['failSteps', 'failCompensations'] as const) {
      a[list].forEach((f, k) => {
        const path = ['adapters', i, list, k];
        if (f.department !== undefined && !departmentCodes.has(f.department)) {
          issue([...path, 'department'], 'unknown-department', `no department ${f.department}`);
          return;
        }
        const known =
          f.department !== undefined ? stepIdsOf.get(f.department)?.has(f.step) : [...stepIdsOf.values()].some((ids) => ids.has(f.step));
        if (!known) issue([...path, 'step'], 'unknown-step', `no step ${f.step}${f.department ? ` in ${f.department}` : ''}`);
      });
    }
  });

  const waveOf = new Map<string, number>();
  if (plan.waves.length === 0) issue(['waves'], 'empty-pilot', 'the plan needs at least the pilot wave');
  plan.waves.forEach((w, i) => {
    const pilot = i === 0;
    if (w.departments.length === 0)
      issue(
        ['waves', i, 'departments'],
        pilot ? 'empty-pilot' : 'empty-wave',
        pilot ? 'the pilot needs 1 or 2 departments' : `wave ${i + 1} has no departments`,
      );
    if (pilot && w.departments.length > 2)
      issue(['waves', i, 'departments'], 'pilot-too-large', `the pilot has ${w.departments.length} departments; at most 2`);
    w.departments.forEach((code, j) => {
      const path = ['waves', i, 'departments', j];
      if (!departmentCodes.has(code)) issue(path, 'unknown-department', `no department ${code}`);
      const earlier = waveOf.get(code);
      if (earlier === i) issue(path, 'department-listed-twice', `department ${code} is listed twice in wave ${i + 1}`);
      else if (earlier !== undefined) issue(path, 'department-in-two-waves', `department ${code} is already in wave ${earlier + 1}`);
      else waveOf.set(code, i);
    });
    const range = pilot ? PILOT_MINIMUM_DAYS : WAVE_MINIMUM_DAYS;
    if (w.minimumDays !== undefined && (w.minimumDays < range.min || w.minimumDays > range.max)) {
      issue(
        ['waves', i, 'minimumDays'],
        'duration-out-of-range',
        `${pilot ? 'the pilot' : `wave ${i + 1}`} runs ${range.min}..${range.max} days before its exit gate`,
      );
    }
    if (w.minimumDuration !== undefined) checkOverride(w.minimumDuration, ['waves', i, 'minimumDuration']);
    w.startWindows.forEach((win, k) => {
      if (win.from >= win.to)
        issue(['waves', i, 'startWindows', k], 'empty-window', `the window ${win.from}-${win.to} is empty: from must be before to`);
    });
    w.blackouts.forEach((b, k) => {
      if (b.from >= b.to)
        issue(['waves', i, 'blackouts', k], 'empty-blackout', `the blackout ${b.from}..${b.to} is empty: from must be before to`);
    });
  });
  plan.departments.forEach((d, i) => {
    if (!waveOf.has(d.code)) issue(['departments', i], 'department-in-no-wave', `department ${d.code} is in no wave`);
  });

  const checkGate = (gate: PlanShape['gates']['final'], at: Path, scope: string[]) => {
    if (gate.approvers.length === 0) issue([...at, 'approvers'], 'gate-without-approvers', 'a gate needs named approvers');
    else if (!gate.approvers.some((a) => a.role === 'leadership'))
      issue(
        [...at, 'approvers'],
        'gate-without-leadership',
        'go/no-go belongs to the decision layer: name at least one leadership approver',
      );
    const people = new Set<string>();
    gate.approvers.forEach((a, k) => {
      if (people.has(a.personId))
        issue([...at, 'approvers', k, 'personId'], 'duplicate-approver', `approver ${a.personId} is listed twice`);
      people.add(a.personId);
    });
    if (gate.rule.kind === 'quorum' && gate.rule.required > people.size) {
      issue(
        [...at, 'rule', 'required'],
        'quorum-exceeds-approvers',
        `a quorum of ${gate.rule.required} needs at least that many approvers (${people.size} named)`,
      );
    }
    const deadline = durationMsOrNull(gate.decisionDeadline);
    if (deadline !== null && (deadline < DECISION_DEADLINE_RANGE_MS.min || deadline > DECISION_DEADLINE_RANGE_MS.max)) {
      issue([...at, 'decisionDeadline'], 'duration-out-of-range', 'the decision deadline is between 1 minute and 30 days');
    }
    const criteria = new Set<string>();
    gate.criteria?.forEach((c, k) => {
      if (criteria.has(c.id)) issue([...at, 'criteria', k, 'id'], 'duplicate-criterion', `criterion ${c.id} is listed twice`);
      criteria.add(c.id);
      if (c.id === 'training-pass-rate' && scope.length === 0)
        issue(
          [...at, 'criteria', k, 'id'],
          'criterion-without-departments',
          'no departments go live after this gate, so there is no training to check',
        );
    });
  };
  checkGate(plan.gates.readiness, ['gates', 'readiness'], plan.waves[0]?.departments ?? []);
  plan.waves.forEach((w, i) => checkGate(w.exitGate, ['waves', i, 'exitGate'], plan.waves[i + 1]?.departments ?? []));
  checkGate(plan.gates.final, ['gates', 'final'], []);

  const run = plan.parallelRun;
  if (run.minimumDuration !== undefined) checkOverride(run.minimumDuration, ['parallelRun', 'minimumDuration']);
  else if (run.minimumDays < PARALLEL_RUN_MINIMUM_DAYS)
    issue(['parallelRun', 'minimumDays'], 'duration-out-of-range', `the parallel run lasts at least ${PARALLEL_RUN_MINIMUM_DAYS} days`);
  if (run.comparisonEvery !== undefined) checkOverride(run.comparisonEvery, ['parallelRun', 'comparisonEvery']);
  const settle = run.settle === undefined ? null : durationMsOrNull(run.settle);
  if (settle !== null && settle > MAX_SETTLE_MS)
    issue(['parallelRun', 'settle'], 'duration-out-of-range', 'the settle delay is at most 1 hour');
  const domainNames = new Set<string>();
  run.domains?.forEach((d, i) => {
    if (domainNames.has(d.name)) issue(['parallelRun', 'domains', i, 'name'], 'duplicate-domain', `domain ${d.name} is listed twice`);
    domainNames.add(d.name);
    for (const [name, map] of Object.entries(d.spec.codeMaps)) {
      if (map.kind === 'table' && !/^env:[A-Z_][A-Z0-9_]{0,127}$/.test(map.url)) {
        issue(
          ['parallelRun', 'domains', i, 'spec', 'codeMaps', name, 'url'],
          'literal-secret',
          'a code-map table is reached through a secret: write its url as env:NAME',
        );
      }
    }
  });

  function checkOverride(iso: string, path: Path) {
    const ms = durationMsOrNull(iso);
    if (ms !== null && (ms <= 0 || ms > MAX_OVERRIDE_MS))
      issue(path, 'duration-out-of-range', 'must be longer than zero and at most 90 days');
  }
}

/** Null for what the shape already rejected: the cross-field rules still run then. */
function parseUrl(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

function durationMsOrNull(iso: string): number | null {
  return isoDurationPattern.test(iso) ? durationMs(iso) : null;
}

/** Fills in what depends on a thing's place in the plan: pilot vs. later waves, steps, gate criteria. */
function applyDefaults(plan: PlanShape): Plan {
  const last = plan.waves.length - 1;
  const withCriteria = (gate: PlanShape['gates']['final'], defaults: Criterion[]): Gate => ({
    ...gate,
    criteria: gate.criteria ?? defaults.map((c) => ({ ...c })),
  });
  // checkPlan has rejected every step without a compensation, so the casts below hold.
  return {
    ...plan,
    defaultSteps: plan.defaultSteps as Step[] | undefined,
    departments: plan.departments.map((d) => ({
      ...d,
      steps: (d.steps?.length ? d.steps : (plan.defaultSteps ?? [])).map((s) => ({ ...s })) as Step[],
    })),
    waves: plan.waves.map((w, i) => ({
      ...w,
      minimumDays: w.minimumDays ?? (i === 0 ? PILOT_MINIMUM_DAYS.default : WAVE_MINIMUM_DAYS.default),
      exitGate: withCriteria(w.exitGate, i < last ? DEFAULT_EXPANSION_CRITERIA : []),
    })),
    gates: {
      readiness: withCriteria(plan.gates.readiness, DEFAULT_READINESS_CRITERIA),
      final: withCriteria(plan.gates.final, []),
    },
  };
}

/**
 * The plan schema. Parsing applies every default; the output is itself a valid input, so a
 * parsed plan can be stored and parsed again.
 */
export const CutoverPlan = PlanShape.superRefine(checkPlan).transform(applyDefaults);
export type PlanInput = z.input<typeof CutoverPlan>;

export interface PlanIssue {
  /** Dotted path into the plan: waves.1.departments.0 */
  path: string;
  /** Stable rule name: ours for cross-field rules (department-in-two-waves), else zod's issue code. */
  rule: string;
  message: string;
}

export function planIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((i) => {
    const rule = i.code === 'custom' ? (i.params as { rule?: unknown } | undefined)?.rule : undefined;
    return { path: i.path.map(String).join('.'), rule: typeof rule === 'string' ? rule : i.code, message: i.message };
  });
}

export type PlanValidation = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

export function validatePlan(input: unknown): PlanValidation {
  const result = CutoverPlan.safeParse(input);
  return result.success ? { ok: true, plan: result.data } : { ok: false, issues: planIssues(result.error) };
}

/** For plans known to be valid (tests, the demo, a plan read back from storage); throws a ZodError otherwise. */
export function parsePlan(input: unknown): Plan {
  return CutoverPlan.parse(input);
}
