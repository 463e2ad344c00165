/** The plan's small building blocks: ids and codes, durations, hospital-local times, parameters and templates. */
import { z } from 'zod';
import { PersonId } from '../people';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

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

export const isoDurationPattern = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

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
export const LocalTimeEnd = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a local time HH:mm (24:00 for midnight)');

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
export const Params = z.record(ParamKey, z.string().max(1000)).default({});

export const TEMPLATE_PLACEHOLDERS = ['department', 'step', 'programId', 'attempt'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

function onlyKnownPlaceholders(template: string): boolean {
  const rest = template.replace(/\{\{(department|step|programId|attempt)\}\}/g, '');
  return !rest.includes('{{') && !rest.includes('}}');
}

export const Template = (max: number) =>
  z
    .string()
    .max(max)
    .refine(onlyKnownPlaceholders, {
      message: `may only use the placeholders ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      params: { rule: 'unknown-placeholder' },
    });
