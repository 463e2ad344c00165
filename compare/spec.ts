/**
 * Domain specification for the nightly data-consistency comparison.
 *
 * A `DomainSpec` says how rows of one business domain (e.g. "charges") are keyed,
 * which fields are compared and how each field is normalised before comparison.
 * It is plain data (JSON-serialisable) so a migration plan can embed it.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier');

/** Per-field normalisation applied on both sides before comparison (in this order: NFKC, trim, case, empty-as-null). */
export const Normalize = z.object({
  /** Unicode NFKC, so full-width and half-width forms compare equal (also turns U+3000 into a space). */
  nfkc: z.boolean().default(false),
  /** Strip leading and trailing spaces. */
  trim: z.boolean().default(false),
  /** Letter case folding. */
  case: z.enum(['none', 'upper', 'lower']).default('none'),
  /** Treat '' (after trimming) as NULL. */
  emptyAsNull: z.boolean().default(false),
  /** CRLF and CR line breaks read as LF (an export written on another system). */
  lineBreaks: z.boolean().default(false),
});
export type Normalize = z.infer<typeof Normalize>;

/**
 * Normalisation given on a field, key or the domain defaults: only the properties present
 * override (no zod defaults here, which would silently turn a field's `{ case: 'upper' }` into
 * "no NFKC, no trim" and drop the domain defaults).
 */
export const NormalizeOverride = z.object({
  nfkc: z.boolean().optional(),
  trim: z.boolean().optional(),
  case: z.enum(['none', 'upper', 'lower']).optional(),
  emptyAsNull: z.boolean().optional(),
  lineBreaks: z.boolean().optional(),
});
export type NormalizeOverride = z.infer<typeof NormalizeOverride>;

export const FieldType = z.enum(['text', 'numeric', 'integer', 'timestamp', 'date', 'boolean']);
export type FieldType = z.infer<typeof FieldType>;

export const TimestampPrecision = z.enum(['minute', 'second', 'millisecond', 'microsecond']);
export type TimestampPrecision = z.infer<typeof TimestampPrecision>;

/** Decimal given as a string ("0.01") or number; kept as a string to stay exact. */
const decimal = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  // A named rule: the OpenAPI document can only say "string or number", so a 400 for '' or '1e3'
  // must name the rule the schema could not state (the contract test holds us to it).
  .refine((v) => /^\d+(\.\d+)?$/.test(v), { message: 'must be a non-negative decimal', params: { rule: 'non-negative-decimal' } });

/**
 * A key column's type: 'text' (default) compares the text; 'integer' compares the integer's
 * decimal text, so a zero-padded text sequence ('000123') equals another system's smallint 123.
 * A value that is not an integer makes the key NULL there (an invalid key, reported).
 */
export const KeyType = z.enum(['text', 'integer']);

export const KeyField = z.object({
  /** Logical name, used in results. */
  name: identifier,
  /** Column name in the legacy / new source (defaults to `name`). */
  legacyColumn: identifier.optional(),
  newColumn: identifier.optional(),
  normalize: NormalizeOverride.optional(),
  /** Both sides' key type; `legacyType` / `newType` declare one side's. */
  type: KeyType.optional(),
  legacyType: KeyType.optional(),
  newType: KeyType.optional(),
});
export type KeyField = z.infer<typeof KeyField>;

export const FieldSpec = z.object({
  name: identifier,
  legacyColumn: identifier.optional(),
  newColumn: identifier.optional(),
  type: FieldType.default('text'),
  normalize: NormalizeOverride.optional(),
  /**
   * Normalisation of one side only, over the field's own and the defaults (property by
   * property): e.g. trim only the legacy side's padded values, or NFKC only the side that stores
   * full-width forms.
   */
  legacyNormalize: NormalizeOverride.optional(),
  newNormalize: NormalizeOverride.optional(),
  /**
   * A value map (an entry of `codeMaps`) applied to one side's normalised text only: a value in
   * the map is replaced, any other is kept (unlike `codeMap`, which reports unmapped legacy codes).
   */
  valueMap: z.object({ map: z.string().min(1), side: z.enum(['legacy', 'new']) }).optional(),
  /** Name of an entry in `DomainSpec.codeMaps`; maps the legacy value to the new code. */
  codeMap: z.string().min(1).optional(),
  /** Absolute numeric tolerance: |legacy - new| <= tolerance is a match (numeric/integer only). */
  tolerance: decimal.optional(),
  /** Round numerics to this many decimal places (half away from zero) before comparing. */
  scale: z.number().int().min(0).max(30).optional(),
  /** Truncate timestamps to this precision before comparing. */
  timestampPrecision: TimestampPrecision.optional(),
  /** IANA zone of timestamps stored without a zone (default UTC); values with a zone are absolute. */
  timeZone: z.string().min(1).optional(),
  /**
   * A naive local time in `timeZone` that occurs twice (the hour repeated when the clocks go
   * back): the instant it means, 'earlier' or 'later', or 'wall': both sides compare as wall-clock
   * time in the zone (an instant as its local time). Set, a local time that does not exist (the
   * hour skipped when the clocks go forward) is reported as `ambiguous_time`, not shifted.
   * Unset: the server's choice (PostgreSQL: the later occurrence; a skipped time moved forward).
   */
  ambiguousTime: z.enum(['earlier', 'later', 'wall']).optional(),
  /**
   * Text fields without a code map: `false` keeps the canonical expression in SQL without
   * probing (a field known to have many spellings, such as names); by default a probe decides
   * (`CompareInput.spellings`).
   */
  learnSpellings: z.boolean().optional(),
  /** Keep the field in the spec but do not compare it. */
  ignore: z.boolean().default(false),
});
export type FieldSpec = z.infer<typeof FieldSpec>;

/**
 * A legacy code the map does not hold: 'report' it as `unmapped_code` (the default: a map that
 * should be complete), or 'pass-through': compare it unchanged with the new side's code, for a
 * new system that kept most legacy codes and maps only those it renamed.
 */
export const UnmappedCodes = z.enum(['report', 'pass-through']).default('report');

export const CodeMapSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline'), entries: z.record(z.string(), z.string()), unmapped: UnmappedCodes }),
  z.object({
    kind: z.literal('table'),
    /** PostgreSQL connection string holding the mapping table. */
    url: z.string().min(1),
    /** A read-only query returning two text columns: legacy code, new code. */
    query: z.string().min(1),
    unmapped: UnmappedCodes,
  }),
  z.object({
    kind: z.literal('csv'),
    path: z.string().min(1),
    legacyColumn: z.string().min(1).default('legacy_code'),
    newColumn: z.string().min(1).default('new_code'),
    delimiter: z.string().length(1).default(','),
    unmapped: UnmappedCodes,
  }),
]);
export type CodeMapSpec = z.infer<typeof CodeMapSpec>;

export const DomainSpec = z
  .object({
    name: z.string().min(1).max(100),
    key: z.array(KeyField).min(1).max(8),
    fields: z.array(FieldSpec),
    /** Field names not compared (same as `ignore: true` on the field). */
    ignore: z.array(z.string()).default([]),
    codeMaps: z.record(z.string(), CodeMapSpec).default({}),
    /** Normalisation applied to every text field unless the field overrides it. */
    defaults: z.object({ normalize: NormalizeOverride.default({}) }).default({ normalize: {} }),
    /**
     * Rows in flight by their own clock: a row whose change timestamp (`column`, or per side
     * `legacyColumn` / `newColumn`) is at most `withinMinutes` before the comparison's time, or
     * later, is compared only after a recheck on fresh snapshots (after `settleMs`), whether it
     * first matched or not; rows changed during the settle delay are compared at their settled
     * state. Naive change timestamps are read in `timeZone` (default UTC).
     */
    inFlight: z
      .object({
        column: identifier,
        legacyColumn: identifier.optional(),
        newColumn: identifier.optional(),
        withinMinutes: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 60),
        timeZone: z.string().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    // Each cross-field rule carries a stable name (the API's 400 reports it as the issue's rule)
    // and points at the field it is about.
    const issue = (path: (string | number)[], rule: string, message: string) =>
      ctx.addIssue({ code: 'custom', path, params: { rule }, message });
    const names = new Set<string>();
    for (const f of [...spec.key, ...spec.fields]) {
      if (names.has(f.name)) issue([], 'duplicate-field-name', `duplicate field name ${f.name}`);
      names.add(f.name);
    }
    spec.fields.forEach((f, i) => {
      if (f.codeMap && !spec.codeMaps[f.codeMap])
        issue(['fields', i, 'codeMap'], 'unknown-code-map', `field ${f.name}: unknown code map ${f.codeMap}`);
      if (f.valueMap) {
        if (!spec.codeMaps[f.valueMap.map])
          issue(['fields', i, 'valueMap', 'map'], 'unknown-value-map', `field ${f.name}: unknown value map ${f.valueMap.map}`);
        if (f.type !== 'text' || f.codeMap)
          issue(['fields', i, 'valueMap'], 'value-map-needs-text', `field ${f.name}: valueMap needs a text field without codeMap`);
      }
      if (f.ambiguousTime !== undefined && f.type !== 'timestamp')
        issue(['fields', i, 'ambiguousTime'], 'ambiguous-time-needs-timestamp', `field ${f.name}: ambiguousTime needs the timestamp type`);
      if (f.tolerance !== undefined && f.type !== 'numeric' && f.type !== 'integer')
        issue(['fields', i, 'tolerance'], 'tolerance-needs-number', `field ${f.name}: tolerance needs a numeric type`);
    });
  });
export type DomainSpec = z.infer<typeof DomainSpec>;
export type DomainSpecInput = z.input<typeof DomainSpec>;

/** Threshold: a level is reached when the differing-key rate or count is strictly greater than the value. */
export const Threshold = z.object({
  rate: z.number().min(0).max(1).optional(),
  count: z.number().int().min(0).optional(),
});
export const Thresholds = z.object({
  warning: Threshold.optional(),
  critical: Threshold.optional(),
});
export type Thresholds = z.infer<typeof Thresholds>;

/** Source configurations (serialisable, so they can travel as activity input). */
export const PostgresSourceConfig = z.object({
  kind: z.literal('postgres'),
  url: z.string().min(1),
  /**
   * Read-only SELECT returning the domain's columns. `$1` and `$2` are replaced by the
   * window bounds [from, to) as timestamptz literals (COPY cannot take bind parameters).
   */
  query: z.string().min(1),
});
export const FileSourceConfig = z.object({
  kind: z.enum(['csv', 'ndjson']),
  path: z.string().min(1),
  delimiter: z.string().length(1).default(','),
  /**
   * CSV: 'unquotedEmpty' reads an unquoted empty field as NULL and a quoted one ("") as '', as
   * the exporting database wrote them; 'never' (default): a CSV has no NULL, both are ''. An empty
   * key cell is a missing key either way.
   */
  nulls: z.enum(['never', 'unquotedEmpty']).default('never'),
  /** Column used to keep only rows in the window [from, to); omit when the export is already one business day. */
  windowColumn: identifier.optional(),
  /** Zone of naive timestamps in `windowColumn` (default UTC). */
  windowTimeZone: z.string().optional(),
});
export const SourceConfig = z.discriminatedUnion('kind', [PostgresSourceConfig, FileSourceConfig]);
export type SourceConfig = z.input<typeof SourceConfig>;
export type ParsedSourceConfig = z.infer<typeof SourceConfig>;

export const CompareInput = z.object({
  spec: DomainSpec,
  legacy: SourceConfig,
  new: SourceConfig,
  /** Business-day window [from, to), ISO-8601 with offset. */
  window: z.object({ from: z.string().min(1), to: z.string().min(1) }),
  businessDay: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  thresholds: Thresholds.default({}),
  /** PostgreSQL receiving comparison_run / comparison_difference (and staged file sources). */
  resultsUrl: z.string().min(1),
  /** Optional key range [lo, hi) on the first key column, byte (C) order; null = unbounded. */
  keyRange: z.object({ lo: z.string().nullable().default(null), hi: z.string().nullable().default(null) }).optional(),
  /** Re-check differences after this delay (rows still in flight) before they count. */
  settleMs: z.number().int().min(0).default(0),
  /**
   * Parallel key-range streams per side. One per side already keeps two cores busy (one
   * PostgreSQL backend each); more pays only with idle cores on both servers.
   */
  parallelism: z.number().int().min(1).max(16).default(1),
  /**
   * Text fields normalised in Node from learnt spellings (see docs/comparison.md): before the
   * streams, each side counts the distinct raw values of each normalised text field without a
   * code map in its first `sampleRows` rows; a field with at most `maxDistinct` on both sides is
   * hashed raw and mapped in Node (each spelling costs one exact re-check), the others keep the
   * canonical expression in SQL. `maxDistinct: 0` turns this off.
   */
  spellings: z
    .object({
      sampleRows: z.number().int().min(1).max(10_000_000).default(50_000),
      maxDistinct: z.number().int().min(0).max(10_000).default(2_000),
    })
    .default({ sampleRows: 50_000, maxDistinct: 2_000 }),
  /**
   * The comparison's time (ISO-8601 instant) for `spec.inFlight`: rows changed since this minus
   * `withinMinutes` are in flight. Default: when the run starts. A fixed value makes the outcome
   * deterministic (tests pin it).
   */
  comparedAt: z.string().min(1).optional(),
  /** Optional id for the run (uuid); generated when absent. */
  runId: z.string().uuid().optional(),
});
export type CompareInput = z.input<typeof CompareInput>;

/** A range [lo, hi) of the first key column in byte order; null: unbounded (the last range also holds NULL keys). */
export interface KeyRange {
  lo: string | null;
  hi: string | null;
}
