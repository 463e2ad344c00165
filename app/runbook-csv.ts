/**
 * Runbooks to and from CSV, for teams that plan the night in a spreadsheet: one task per row,
 * the runbook's own settings (id, title, window) given beside the file. Errors name the row as a
 * spreadsheet shows it (the header is row 1) and the column, never the cell's content.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { Runbook, type RunbookInput, type RunbookTask, type RunbookTaskInput } from '../domain/runbook';
import type { SignOff, TaskState } from '../domain/runbook-run';

export const runbookCsvColumns = [
  'id',
  'kind',
  'title',
  'department',
  /** `person:<id>` or `rota:<name>`. */
  'owner',
  /** Task ids separated by spaces. */
  'predecessors',
  'planned_minutes',
  /** `<day> <HH:MM>`: day 0 is the night's start date, 1 the next (e.g. `1 03:15`); empty: none. */
  'not_before',
  /** 1 or 2. */
  'sign_off',
  /** For adapter steps: the plan's step id. */
  'step',
] as const;
type Column = (typeof runbookCsvColumns)[number];

export interface CsvIssue {
  /** The spreadsheet's row number (the header is row 1), or 1 for the header itself. */
  row: number;
  column?: Column;
  message: string;
  rule: string;
}

export type RunbookFromCsv = { ok: true; runbook: Runbook } | { ok: false; issues: CsvIssue[] };

const columnOf: Partial<Record<string, Column>> = {
  id: 'id',
  kind: 'kind',
  title: 'title',
  department: 'department',
  owner: 'owner',
  predecessors: 'predecessors',
  plannedMinutes: 'planned_minutes',
  notBefore: 'not_before',
  signOff: 'sign_off',
  step: 'step',
};

function owner(cell: string): RunbookTaskInput['owner'] | string {
  const m = /^(person|rota):(.+)$/.exec(cell.trim());
  if (!m) return 'must be person:<id> or rota:<name>';
  return m[1] === 'person' ? { person: m[2]! } : { rota: m[2]! };
}

function notBefore(cell: string): RunbookTaskInput['notBefore'] | string | undefined {
  if (cell.trim() === '') return undefined;
  const m = /^(\d)\s+(\d{2}:\d{2})$/.exec(cell.trim());
  return m ? { day: Number(m[1]), time: m[2]! } : 'must be <day> <HH:MM>, e.g. 1 03:15';
}

/** A whole number as written in a spreadsheet ("30", not "30 min"); the schema checks the range. */
function whole(cell: string): number | string {
  return /^\d{1,6}$/.test(cell.trim()) ? Number(cell.trim()) : 'must be a whole number';
}

export function runbookFromCsv(csv: string, settings: Omit<RunbookInput, 'tasks'>): RunbookFromCsv {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    // The parser's message may quote the cell: only its position and code are passed on.
    return {
      ok: false,
      issues: [{ row: line ?? 1, message: 'not a well-formed CSV row (quotes or column count)', rule: 'csv-syntax' }],
    };
  }
  const [header, ...rows] = records;
  const missing = runbookCsvColumns.filter((c) => !header?.map((h) => h.trim()).includes(c));
  if (!header || missing.length > 0)
    return { ok: false, issues: [{ row: 1, message: `the header lacks ${missing.join(', ')}`, rule: 'csv-columns' }] };
  const at = Object.fromEntries(header.map((h, i) => [h.trim(), i])) as Record<Column, number>;

  const issues: CsvIssue[] = [];
  const tasks = rows.map((cells, i) => {
    const row = i + 2;
    const cell = (c: Column) => cells[at[c]] ?? '';
    const checked = <T>(c: Column, v: T | string): T | undefined => {
      if (typeof v === 'string') {
        issues.push({ row, column: c, message: v, rule: 'csv-cell' });
        return undefined;
      }
      return v;
    };
    const task: RunbookTaskInput = {
      id: cell('id').trim(),
      kind: cell('kind').trim() as RunbookTaskInput['kind'],
      title: cell('title'),
      owner: checked('owner', owner(cell('owner'))) ?? { person: 'unknown' },
      predecessors: cell('predecessors').split(/\s+/).filter(Boolean),
      plannedMinutes: checked('planned_minutes', whole(cell('planned_minutes'))) ?? 0,
      signOff: (cell('sign_off').trim() === '' ? 1 : checked('sign_off', whole(cell('sign_off')))) as 1 | 2,
    };
    if (cell('department').trim()) task.department = cell('department').trim();
    if (cell('step').trim()) task.step = cell('step').trim();
    const nb = checked('not_before', notBefore(cell('not_before')));
    if (nb) task.notBefore = nb;
    return task;
  });
  if (issues.length > 0) return { ok: false, issues };

  const parsed = Runbook.safeParse({ ...settings, tasks });
  if (parsed.success) return { ok: true, runbook: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => {
      const [first, index, field] = issue.path;
      const rule = (issue as { params?: { rule?: string } }).params?.rule ?? issue.code;
      if (first === 'tasks' && typeof index === 'number')
        return { row: index + 2, column: columnOf[String(field)], message: issue.message, rule };
      return { row: 1, message: `${issue.path.join('.') || 'runbook'}: ${issue.message}`, rule };
    }),
  };
}

/**
 * What a run adds after the runbook's own columns (an import ignores them, so a run's export
 * reads back as the runbook it ran): its state, actual times, and who signed, how and when.
 * Times are ISO instants (UTC). A transcribed paper signature shows the paper's time, and the
 * scribe and the moment of entry beside it.
 */
export const runCsvColumns = ['status', 'ready_at', 'done_at', 'signatures'] as const;

type RunTask = RunbookTask & Partial<Pick<TaskState, 'status' | 'readyAtMs' | 'doneAtMs' | 'signOffs'>>;

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/** `person channel time`, a transcribed one `person paper time transcribed-by scribe at entry`; `; ` between signatures. */
const signatures = (signOffs: SignOff[] | undefined) =>
  (signOffs ?? [])
    .map((s) =>
      [
        s.personId,
        s.channel,
        iso(s.atMs),
        ...(s.transcribed ? ['transcribed-by', s.transcribedBy ?? '', 'at', iso(s.enteredAtMs)] : []),
      ].join(' '),
    )
    .join('; ');

export function runbookToCsv(rb: { tasks: readonly RunTask[] }): string {
  const isRun = rb.tasks.some((t) => t.status !== undefined);
  return stringify([
    [...runbookCsvColumns, ...(isRun ? runCsvColumns : [])],
    ...rb.tasks.map((t) => [
      t.id,
      t.kind,
      t.title,
      t.department ?? '',
      'person' in t.owner ? `person:${t.owner.person}` : `rota:${t.owner.rota}`,
      t.predecessors.join(' '),
      String(t.plannedMinutes),
      t.notBefore ? `${t.notBefore.day} ${t.notBefore.time}` : '',
      String(t.signOff),
      t.step ?? '',
      ...(isRun ? [t.status ?? '', iso(t.readyAtMs), iso(t.doneAtMs), signatures(t.signOffs)] : []),
    ]),
  ]);
}
