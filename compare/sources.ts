/**
 * Sources of rows for one side of a comparison.
 *
 * Every source resolves to a read-only SQL query on some PostgreSQL server; the engine then
 * pushes normalisation, hashing and ordering into that server. PostgreSQL sources are used
 * in place; file exports (CSV, NDJSON) are streamed into an UNLOGGED staging table on the
 * results database first (bounded memory), dropped when the run ends. New kinds implement
 * `Source` and register a factory with `registerSourceKind`.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parse } from 'csv-parse';
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { ParsedSourceConfig } from './spec';
import type { Side } from './sql/columns';

export interface OpenContext {
  resultsUrl: string;
  runId: string;
  side: Side;
  /** Columns the domain needs from this side, the key columns first. */
  columns: string[];
  /** How many of `columns` are key columns. */
  keyColumns?: number;
}

export interface OpenedSource {
  /** PostgreSQL connection string holding the rows. */
  url: string;
  /** SELECT with optional $1/$2 window placeholders. */
  query: string;
  /** Drop staging data, if any. */
  cleanup(): Promise<void>;
}

export interface Source {
  readonly kind: string;
  /** Opaque description safe for logs (no credentials, no row values). */
  readonly ref: string;
  open(ctx: OpenContext): Promise<OpenedSource>;
}

export class PostgresSource implements Source {
  readonly kind = 'postgres';
  readonly ref: string;
  constructor(
    private readonly url: string,
    private readonly query: string,
  ) {
    let host = 'postgres';
    try {
      const u = new URL(url);
      host = `${u.hostname}:${u.port || '5432'}${u.pathname}`;
    } catch {
      /* keep generic */
    }
    this.ref = `postgres:${host}`;
  }
  open(): Promise<OpenedSource> {
    return Promise.resolve({ url: this.url, query: this.query, cleanup: () => Promise.resolve() });
  }
}

function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** CSV (header row required) or NDJSON export, staged into the results database. */
export class FileSource implements Source {
  readonly ref: string;
  constructor(
    readonly kind: 'csv' | 'ndjson',
    private readonly path: string,
    private readonly opts: { delimiter?: string; windowColumn?: string; windowTimeZone?: string; nulls?: 'never' | 'unquotedEmpty' } = {},
  ) {
    this.ref = `${kind}:${path.split('/').pop() ?? 'file'}`;
  }

  private async *records(): AsyncGenerator<Record<string, unknown>> {
    if (this.kind === 'csv') {
      const parser = createReadStream(this.path).pipe(
        parse({
          columns: true,
          delimiter: this.opts.delimiter ?? ',',
          bom: true,
          relax_column_count: true,
          // the parser knows whether a field was quoted: "" is a value, an unquoted empty field is not
          ...(this.opts.nulls === 'unquotedEmpty'
            ? { cast: (v: string, ctx: { header: boolean; quoting: boolean }) => (!ctx.header && v === '' && !ctx.quoting ? null : v) }
            : {}),
        }),
      );
      for await (const rec of parser) yield rec as Record<string, unknown>;
    } else {
      const rl = createInterface({ input: createReadStream(this.path, { encoding: 'utf8' }), crlfDelay: Infinity });
      let line = 0;
      for await (const raw of rl) {
        line++;
        // a UTF-8 byte order mark before the first object (readline keeps it) is not part of the data
        const text = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
        if (text.trim() === '') continue;
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch {
          throw new Error(`compare: ${this.ref} line ${line} is not valid JSON`);
        }
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
          throw new Error(`compare: ${this.ref} line ${line} is not a JSON object`);
        }
        yield obj as Record<string, unknown>;
      }
    }
  }

  async open(ctx: OpenContext): Promise<OpenedSource> {
    const cols = [...new Set([...ctx.columns, ...(this.opts.windowColumn ? [this.opts.windowColumn] : [])])];
    const table = `comparison_stage_${ctx.runId.replace(/-/g, '')}_${ctx.side}`;
    const t = escapeIdentifier(table);
    const client = new Client({ connectionString: ctx.resultsUrl });
    await client.connect();
    try {
      await client.query(`CREATE UNLOGGED TABLE ${t} (${cols.map((c) => `${escapeIdentifier(c)} text`).join(', ')})`);
      const flush = async (lines: string[]): Promise<void> => {
        if (lines.length === 0) return;
        const s = client.query(copyFrom(`COPY ${t} (${cols.map(escapeIdentifier).join(', ')}) FROM STDIN`));
        await new Promise<void>((resolve, reject) => {
          s.on('error', reject);
          s.on('finish', () => resolve());
          s.end(lines.join(''));
        });
      };
      let lines: string[] = [];
      // A file has no NULL of its own: an empty key cell is a missing key, staged as NULL like a
      // table's (a key column of '' would otherwise be one more key, shared by every such row).
      const keys = ctx.keyColumns ?? 0;
      const cell = (rec: Record<string, unknown>, c: string, i: number): string | null => {
        const v = cellText(rec[c]);
        return i < keys && v === '' ? null : v;
      };
      for await (const rec of this.records()) {
        lines.push(cols.map((c, i) => copyText(cell(rec, c, i))).join('\t') + '\n');
        if (lines.length >= 5000) {
          await flush(lines);
          lines = [];
        }
      }
      await flush(lines);
      await client.query(`CREATE INDEX ON ${t} ((${escapeIdentifier(ctx.columns[0] ?? '')}) COLLATE "C")`);
      await client.query(`ANALYZE ${t}`);
    } finally {
      await client.end();
    }
    let query = `SELECT * FROM ${t}`;
    if (this.opts.windowColumn) {
      const w = `nullif(btrim(${escapeIdentifier(this.opts.windowColumn)}), '')`;
      const tz = escapeLiteral(this.opts.windowTimeZone ?? 'UTC');
      const ts = `(CASE WHEN ${w} ~ '(Z|z|[+-]\\d\\d(:?\\d\\d)?)$' AND ${w} ~ '\\d:\\d\\d' THEN (${w})::timestamptz ELSE (${w})::timestamp AT TIME ZONE ${tz} END)`;
      query += ` WHERE ${ts} >= $1 AND ${ts} < $2`;
    }
    const resultsUrl = ctx.resultsUrl;
    return {
      url: resultsUrl,
      query,
      cleanup: async () => {
        const c = new Client({ connectionString: resultsUrl });
        await c.connect();
        try {
          await c.query(`DROP TABLE IF EXISTS ${t}`);
        } finally {
          await c.end();
        }
      },
    };
  }
}

type Factory = (config: ParsedSourceConfig) => Source;
const registry = new Map<string, Factory>([
  ['postgres', (c) => (c.kind === 'postgres' ? new PostgresSource(c.url, c.query) : unreachable())],
  [
    'csv',
    (c) =>
      c.kind === 'csv'
        ? new FileSource('csv', c.path, {
            delimiter: c.delimiter,
            windowColumn: c.windowColumn,
            windowTimeZone: c.windowTimeZone,
            nulls: c.nulls,
          })
        : unreachable(),
  ],
  [
    'ndjson',
    (c) =>
      c.kind === 'ndjson'
        ? new FileSource('ndjson', c.path, { windowColumn: c.windowColumn, windowTimeZone: c.windowTimeZone })
        : unreachable(),
  ],
]);

function unreachable(): never {
  throw new Error('compare: source kind mismatch');
}

/** Register a factory for a new source kind (the config schema must also accept it). */
export function registerSourceKind(kind: string, factory: Factory): void {
  registry.set(kind, factory);
}

export function createSource(config: ParsedSourceConfig): Source {
  const f = registry.get(config.kind);
  if (!f) throw new Error(`compare: unknown source kind ${config.kind}`);
  return f(config);
}
