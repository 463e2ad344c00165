/** Writing differences to comparison_difference (COPY, in batches); app/differences-csv.ts streams them out. */
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type DifferenceKind =
  | 'missing_in_legacy'
  | 'missing_in_new'
  | 'duplicate_in_legacy'
  | 'duplicate_in_new'
  | 'mismatch'
  | 'unmapped_code'
  /** A row with a NULL (files: empty) key column; its side's value column holds the row count. */
  | 'invalid_key'
  /** A local time that does not exist in its zone (a field with `ambiguousTime`). */
  | 'ambiguous_time';

export const DIFFERENCE_KINDS: readonly DifferenceKind[] = [
  'missing_in_legacy',
  'missing_in_new',
  'duplicate_in_legacy',
  'duplicate_in_new',
  'mismatch',
  'unmapped_code',
  'invalid_key',
  'ambiguous_time',
];

function esc(v: string | null): string {
  if (v === null) return '\\N';
  let out = '';
  let last = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 10 || c === 13 || c === 9) {
      out += v.slice(last, i) + (c === 92 ? '\\\\' : c === 10 ? '\\n' : c === 13 ? '\\r' : '\\t');
      last = i + 1;
    }
  }
  return last === 0 ? v : out + v.slice(last);
}

export function keyJson(parts: (string | null)[]): string {
  return JSON.stringify(parts);
}

export class DifferenceWriter {
  private lines: string[] = [];
  written = 0;
  private readonly runLit: string;

  constructor(
    private readonly client: Client,
    runId: string,
    private readonly batchRows = 10000,
  ) {
    this.runLit = esc(runId);
  }

  /** Adds one difference; call `maybeFlush` regularly (awaits only when a batch is full). */
  add(key: string, kind: DifferenceKind, field: string | null, legacy: string | null, next: string | null): void {
    this.lines.push(`${this.runLit}\t${esc(key)}\t${kind}\t${esc(field)}\t${esc(legacy)}\t${esc(next)}\n`);
  }

  get pending(): number {
    return this.lines.length;
  }

  async maybeFlush(): Promise<void> {
    if (this.lines.length >= this.batchRows) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    const s = this.client.query(copyFrom('COPY comparison_difference (run_id, key, kind, field, legacy_value, new_value) FROM STDIN'));
    await new Promise<void>((resolve, reject) => {
      s.on('error', reject);
      s.on('finish', () => resolve());
      s.end(lines.join(''));
    });
    this.written += lines.length;
  }
}
