/** The 64-bit hash table of raw spelling hash -> canonical hash that code maps and learnt spellings fill and the COPY reader probes per row. */

/**
 * 64-bit hash -> 64-bit hash, open addressing over one Int32Array (grows as entries are added).
 * A slot is [keyHi, keyLo, valHi, valLo] side by side, so a probe touches one cache line (five
 * such lookups per row and side are a good part of the reader's time); the key 0 marks an empty
 * slot, so the real key 0 is kept apart.
 */
export class HashMap {
  private mask = 0;
  private count = 0;
  private slots = new Int32Array(0);
  private zero: [number, number] | null = null;
  /** Output of the last successful `find`. */
  hi = 0;
  lo = 0;

  constructor(capacity = 64) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.alloc(size);
  }

  private alloc(size: number): void {
    this.mask = size - 1;
    this.slots = new Int32Array(size * 4);
  }

  get size(): number {
    return this.count + (this.zero === null ? 0 : 1);
  }

  /** Add key -> value; false when the key is already there with another value (ambiguous). */
  set(kHi: number, kLo: number, vHi: number, vLo: number): boolean {
    if ((kHi | kLo) === 0) {
      if (this.zero === null) this.zero = [vHi, vLo];
      return this.zero[0] === vHi && this.zero[1] === vLo;
    }
    if ((this.count + 1) * 2 > this.mask + 1) {
      const old = this.slots;
      this.alloc((this.mask + 1) * 2);
      this.count = 0;
      for (let j = 0; j < old.length; j += 4) if ((old[j]! | old[j + 1]!) !== 0) this.set(old[j]!, old[j + 1]!, old[j + 2]!, old[j + 3]!);
    }
    const t = this.slots;
    let i = ((kLo ^ kHi) & this.mask) << 2;
    while ((t[i]! | t[i + 1]!) !== 0) {
      if (t[i] === kHi && t[i + 1] === kLo) return t[i + 2] === vHi && t[i + 3] === vLo;
      i = (i + 4) & ((this.mask << 2) | 3);
    }
    t[i] = kHi;
    t[i + 1] = kLo;
    t[i + 2] = vHi;
    t[i + 3] = vLo;
    this.count++;
    return true;
  }

  /** Look a key up; on success the value is in `hi`/`lo`. */
  find(kHi: number, kLo: number): boolean {
    const t = this.slots;
    const wrap = (this.mask << 2) | 3;
    let i = ((kLo ^ kHi) & this.mask) << 2;
    for (;;) {
      const h = t[i]!;
      const l = t[i + 1]!;
      if (h === kHi && l === kLo) {
        if ((h | l) === 0) break;
        this.hi = t[i + 2]!;
        this.lo = t[i + 3]!;
        return true;
      }
      if ((h | l) === 0) return false;
      i = (i + 4) & wrap;
    }
    if (this.zero === null) return false;
    this.hi = this.zero[0];
    this.lo = this.zero[1];
    return true;
  }
}
