/** The merge of one key range: both sides' (key, hash) streams walked in byte order. */
import { BinaryKeyHashCopy } from './copyReader';
import { HashMap } from './hashMap';
import { INVALID_KEY, type RowBatch } from './rowBatch';
import { DifferenceWriter, keyJson } from './differences';
import type { Rechecker } from './recheck';
import type { Counters } from './result';
import type { SpellingDictionary } from './spellings';

function splitKey(buf: Buffer, s: number, e: number): (string | null)[] {
  const parts: (string | null)[] = [];
  let st = s;
  for (let i = s; i <= e; i++) {
    if (i === e || buf[i] === 0) {
      parts.push(i - st === 1 && buf[st] === 0xff ? null : buf.toString('utf8', st, i));
      st = i + 1;
    }
  }
  return parts;
}

function keyEq(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): boolean {
  const len = ae - as;
  if (len !== be - bs) return false;
  for (let i = len - 1; i >= 0; i--) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

/**
 * One side's stream during the merge: its batch and row, the batches it has left behind, and the
 * group it passed last (rows with one key: their count, the first row's hash and flag). The same
 * code walks both sides.
 */
class SideCursor {
  batch: RowBatch | null = null;
  i = 0;
  /** Rows in the last group passed. */
  count = 0;
  hashHi = 0;
  hashLo = 0;
  /** 1: re-check; 2: raw hashes to look up again (see RowBatch.unmapped); INVALID_KEY. */
  flag = 0;
  /** The batch and row of the group's first row (its raw hashes, when flagged 2). */
  first: RowBatch | null = null;
  firstIndex = 0;
  // Batches left behind during a group (the group's key or first row may sit in them) go back to
  // the reader at the start of the next group, when only the current batches are still in use.
  private readonly left: RowBatch[] = [];

  constructor(
    readonly reader: BinaryKeyHashCopy,
    private readonly onBatch: () => void,
  ) {}

  /** The current batch is used up (call `nextBatch`). */
  get exhausted(): boolean {
    return this.batch !== null && this.i >= this.batch.n;
  }

  async nextBatch(): Promise<void> {
    this.left.push(this.batch!);
    this.batch = await this.reader.next();
    this.i = 0;
    this.onBatch();
  }

  releaseLeft(): void {
    while (this.left.length > 0) this.reader.release(this.left.pop()!);
  }

  /** Starts a group at the head (which holds its key) or, `absent`, a group without rows on this side. */
  beginGroup(absent: boolean): void {
    this.count = 0;
    this.hashHi = 0;
    this.hashLo = 0;
    this.flag = 0;
    this.first = null;
    this.firstIndex = 0;
    if (absent) return;
    const b = this.batch!;
    this.hashHi = b.hashHi[this.i]!;
    this.hashLo = b.hashLo[this.i]!;
    this.flag = b.unmapped[this.i]!;
    this.first = b;
    this.firstIndex = this.i;
  }

  /**
   * Counts and passes the head row and the rows after it with the key of G[gs, ge); false when the
   * batch ran out first (then `nextBatch`, and go on while `headIs` the key).
   */
  passGroup(G: RowBatch, gs: number, ge: number): boolean {
    const b = this.batch!;
    let i = this.i;
    let count = this.count;
    do {
      count++;
      i++;
    } while (i < b.n && keyEq(b.keys, b.keyStart[i]!, b.keyStart[i + 1]!, G.keys, gs, ge));
    this.i = i;
    this.count = count;
    return i < b.n;
  }

  headIs(G: RowBatch, gs: number, ge: number): boolean {
    const b = this.batch;
    return b !== null && keyEq(b.keys, b.keyStart[this.i]!, b.keyStart[this.i + 1]!, G.keys, gs, ge);
  }

  /**
   * Passes the rest of a group that ran to the end of its batch (`passGroup` said false), across
   * batches. Apart, so that the merge awaits only at a batch's end, not once per row.
   */
  async passRest(G: RowBatch, gs: number, ge: number): Promise<void> {
    do {
      await this.nextBatch();
      if (!this.headIs(G, gs, ge)) return;
    } while (!this.passGroup(G, gs, ge));
  }
}

/**
 * Merges one key range of both sides: missing and duplicate keys from the streams, key pairs
 * whose hashes differ (or are not known yet) to the re-check.
 */
export async function mergeRange(
  lr: BinaryKeyHashCopy,
  nr: BinaryKeyHashCopy,
  counters: Counters,
  writer: DifferenceWriter,
  recheck: Rechecker,
  dictionary: SpellingDictionary,
  /** After each batch either side read: the rows read so far on each side. */
  onBatch: (rowsLegacy: number, rowsNew: number) => void = () => undefined,
): Promise<void> {
  const dl = dictionary.legacy;
  const dn = dictionary.next;
  const extra = dl.length;
  /** Complete [hi, lo] of row i (marked 2 by the reader) with the canonical hashes of its raw hashes; false if one is still unknown. */
  const applyDictionary = (b: RowBatch, i: number, d: HashMap[], h: Int32Array): boolean => {
    if (b.unmapped[i] !== 2) return true;
    const raw = b.raw!;
    for (let j = 0, o = i * extra * 2; j < extra; j++, o += 2) {
      const m = d[j]!;
      if (!m.find(raw[o]!, raw[o + 1]!)) return false;
      h[0]! ^= m.hi;
      h[1]! ^= m.lo;
    }
    return true;
  };
  const lh = new Int32Array(2);
  const rh = new Int32Array(2);
  const batchRead = (): void => onBatch(lr.rows, nr.rows);
  const L = new SideCursor(lr, batchRead);
  const R = new SideCursor(nr, batchRead);
  L.batch = await lr.next();
  R.batch = await nr.next();
  let distinct = 0;
  const emitKey = (b: RowBatch, i: number): (string | null)[] => splitKey(b.keys, b.keyStart[i]!, b.keyStart[i + 1]!);

  for (;;) {
    L.releaseLeft();
    R.releaseLeft();
    if (L.exhausted) {
      await L.nextBatch();
      continue;
    }
    if (R.exhausted) {
      await R.nextBatch();
      continue;
    }
    const lb = L.batch;
    const rb = R.batch;
    if (lb === null && rb === null) break;
    // The group key G: the smaller of the two heads.
    let takeL: boolean;
    let takeR: boolean;
    if (lb === null) {
      takeL = false;
      takeR = true;
    } else if (rb === null) {
      takeL = true;
      takeR = false;
    } else {
      const ls = lb.keyStart[L.i]!;
      const le = lb.keyStart[L.i + 1]!;
      const rs = rb.keyStart[R.i]!;
      const re = rb.keyStart[R.i + 1]!;
      if (keyEq(lb.keys, ls, le, rb.keys, rs, re)) {
        takeL = takeR = true;
      } else {
        takeL = lb.keys.compare(rb.keys, rs, re, ls, le) < 0; // L vs R
        takeR = !takeL;
      }
    }
    const G: RowBatch = takeL ? lb! : rb!;
    const gi = takeL ? L.i : R.i;
    const gs = G.keyStart[gi]!;
    const ge = G.keyStart[gi + 1]!;
    L.beginGroup(!takeL);
    R.beginGroup(!takeR);
    if (takeL && !L.passGroup(G, gs, ge)) await L.passRest(G, gs, ge);
    if (takeR && !R.passGroup(G, gs, ge)) await R.passRest(G, gs, ge);
    const cL = L.count;
    const cR = R.count;
    distinct++;
    const kj0 = L.flag === INVALID_KEY || R.flag === INVALID_KEY ? keyJson(emitKey(G, gi)) : null;
    if (kj0 !== null) {
      // A NULL key column: no key to match by, so never matched and never a duplicate; each row
      // counts as a differing key of its own, reported on its side with the row count.
      distinct += cL + cR - 1;
      if (cL > 0) writer.add(kj0, 'invalid_key', null, String(cL), null);
      if (cR > 0) writer.add(kj0, 'invalid_key', null, null, String(cR));
      if (writer.pending >= 10000) await writer.flush();
      continue;
    }
    if (cL === 1 && cR === 1) {
      if (L.flag === 0 && R.flag === 0) {
        if (L.hashHi === R.hashHi && L.hashLo === R.hashLo) continue; // matched
      } else if (L.flag !== 1 && R.flag !== 1) {
        // raw hashes unknown when read: looked up again now, with every spelling learnt since
        lh[0] = L.hashHi;
        lh[1] = L.hashLo;
        rh[0] = R.hashHi;
        rh[1] = R.hashLo;
        if (
          applyDictionary(L.first!, L.firstIndex, dl, lh) &&
          applyDictionary(R.first!, R.firstIndex, dn, rh) &&
          lh[0] === rh[0] &&
          lh[1] === rh[1]
        )
          continue; // matched
      }
      const p = recheck.add(emitKey(G, gi));
      if (p) await p;
      continue;
    }
    const kj = keyJson(emitKey(G, gi));
    if (cL === 0) writer.add(kj, 'missing_in_legacy', null, null, null);
    if (cR === 0) writer.add(kj, 'missing_in_new', null, null, null);
    if (cL > 1) writer.add(kj, 'duplicate_in_legacy', null, String(cL), null);
    if (cR > 1) writer.add(kj, 'duplicate_in_new', null, null, String(cR));
    if (writer.pending >= 10000) await writer.flush();
  }
  await Promise.all([lr.done(), nr.done()]);
  counters.rowsLegacy += lr.rows;
  counters.rowsNew += nr.rows;
  counters.distinctKeys += distinct;
}
