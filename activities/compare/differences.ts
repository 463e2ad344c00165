/** Writing differences to comparison_difference (COPY, in batches) and streaming them as CSV. */
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { PassThrough, type Readable } from 'node:stream';

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
    const s = this.client.query(
      copyFrom('COPY comparison_difference (run_id, key, kind, field, legacy_value, new_value) FROM STDIN'),
    );
    await new Promise<void>((resolve, reject) => {
      s.on('error', reject);
      s.on('finish', () => resolve());
      s.end(lines.join(''));
    });
    this.written += lines.length;
  }
}

/**
 * Stream a run's differences as CSV (header: key,kind,field,legacy_value,new_value), ordered by
 * insertion. Memory is bounded (PostgreSQL COPY). Intended for an authorized download route.
 */
export function streamDifferencesCsv(resultsUrl: string, runId: string): Readable {
  if (!/^[0-9a-fA-F-]{36}$/.test(runId)) throw new Error('compare: invalid run id');
  const out = new PassThrough();
  const client = new Client({ connectionString: resultsUrl });
  const finish = (err?: Error): void => {
    client.end().catch(() => undefined);
    if (err) out.destroy(new Error('compare: difference export failed'));
  };
  client
    .connect()
    .then(() => {
      const s = client.query(
        copyTo(
          `COPY (SELECT key::text AS key, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = '${runId}' ORDER BY id) TO STDOUT (FORMAT csv, HEADER)`,
        ),
      );
      s.on('error', (e: Error) => finish(e));
      s.on('end', () => finish());
      s.pipe(out);
    })
    .catch((e: Error) => finish(e));
  return out;
}
