/** The exact re-check: rows whose hashes differ are re-fetched (same snapshot) and compared field by field. */
import { DifferenceWriter, keyJson, type DifferenceKind } from './differences';
import type { SideState } from './side';
import type { DomainSpec } from './spec';
import type { SpellingDictionary } from './spellings';
import { comparedFields } from './sql/columns';
import { refetchSql } from './sql/queries';
import { compareField } from './values';

export class Rechecker {
  private pending: (string | null)[][] = [];
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly spec: DomainSpec,
    private readonly legacy: SideState,
    private readonly next: SideState,
    private readonly maps: Map<string, Map<string, string>>,
    private readonly writer: DifferenceWriter,
    private readonly dictionary: SpellingDictionary,
    private readonly batch = 2000,
  ) {}

  /** Keys re-checked so far (for COMPARE_TRACE). */
  count = 0;

  add(key: (string | null)[]): Promise<void> | null {
    this.count++;
    this.pending.push(key);
    if (this.pending.length < this.batch) return null;
    return this.flush();
  }

  /**
   * Queue the pending keys; resolves when every batch but this one is done, so the merge goes on
   * streaming while one batch is re-checked (it used to stop for each; the re-check uses other
   * connections) and at most two batches are held.
   */
  flush(): Promise<void> {
    const keys = this.pending;
    this.pending = [];
    const before = this.chain;
    if (keys.length === 0) return before;
    this.chain = before.then(() => this.process(keys));
    this.chain.catch(() => undefined); // surfaced by the next flush or drain, not as unhandled
    return before;
  }

  /** Every queued batch done. */
  async drain(): Promise<void> {
    await this.flush();
    await this.chain;
  }

  private async process(keys: (string | null)[][]): Promise<void> {
    const complete = keys.filter((k) => k.every((p) => p !== null));
    const d = this.dictionary;
    const [lrows, nrows] = await Promise.all([
      fetchRows(this.legacy, complete, (tail) => d.learn('legacy', tail)),
      fetchRows(this.next, complete, (tail) => d.learn('new', tail)),
    ]);
    const fields = comparedFields(this.spec);
    for (const key of keys) {
      const kj = keyJson(key);
      const id = key.join('\u0000');
      const l = lrows.get(id);
      const n = nrows.get(id);
      if (!l || !n || l.length !== 1 || n.length !== 1) {
        // changed under us (keys with a NULL component are invalid_key, never re-checked)
        this.writer.add(kj, 'mismatch', null, null, null);
        continue;
      }
      classifyPair(fields, this.maps, this.spec.codeMaps, l[0]!, n[0]!, (kind, field, lv, nv) => this.writer.add(kj, kind, field, lv, nv));
    }
    await this.writer.maybeFlush();
  }
}

type Emit = (kind: DifferenceKind, field: string | null, lv: string | null, nv: string | null) => void;

/** Compare one legacy row with one new row (canonical texts, key columns first). Returns true if equal. */
export function classifyPair(
  fields: ReturnType<typeof comparedFields>,
  maps: Map<string, Map<string, string>>,
  codeMaps: DomainSpec['codeMaps'],
  l: (string | null)[],
  n: (string | null)[],
  emit: Emit,
): boolean {
  let equal = true;
  const off = l.length - fields.length;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const lv = l[off + i] ?? null;
    const nv = n[off + i] ?? null;
    const out = f.codeMap
      ? compareField(f, lv, nv, maps.get(f.codeMap), codeMaps[f.codeMap]?.unmapped)
      : compareField(f, lv, nv, undefined);
    if (out === 'equal') continue;
    equal = false;
    emit(out === 'unmapped' ? 'unmapped_code' : out === 'ambiguous' ? 'ambiguous_time' : 'mismatch', f.name, lv, nv);
  }
  return equal;
}

/** Rows by key: key columns and canonical texts (the raw/canonical hash pairs go to `learn`). */
export async function fetchRows(
  s: SideState,
  keys: (string | null)[][],
  learn?: (hashes: (string | null)[]) => void,
): Promise<Map<string, (string | null)[][]>> {
  const out = new Map<string, (string | null)[][]>();
  if (keys.length === 0) return out;
  const params = s.sql.keys.map((_, i) => keys.map((k) => k[i]));
  const r = await s.main.query<(string | null)[]>({ text: refetchSql(s.sql), values: params, rowMode: 'array' });
  const kc = s.sql.keys.length;
  const width = kc + s.sql.plans.length;
  for (const row of r.rows) {
    const tail = row.splice(width);
    if (learn && tail.length > 0) learn(tail);
    const id = row.slice(0, kc).join('\u0000');
    const list = out.get(id);
    if (list) list.push(row);
    else out.set(id, [row]);
  }
  return out;
}
