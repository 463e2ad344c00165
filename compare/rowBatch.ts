/** The compact column batch the COPY reader fills and the merge walks: keys, row hashes and what is left to map. */

export interface RowBatch {
  n: number;
  /**
   * 0: the row hash is complete; 1: an extra hash column was not an int8 (re-check the row);
   * 2: a raw hash was not known when read: `raw` holds them and the row hash lacks them all;
   * 4 (INVALID_KEY): a key column is NULL (the row is never matched; its hashes do not matter).
   */
  unmapped: Uint8Array;
  /** Raw hashes of rows marked 2, row-major: raw[(i * extra + j) * 2] is row i's column j, high half (allocated on first use). */
  raw: Int32Array | null;
  /** Concatenated key bytes. */
  keys: Buffer;
  /** keyStart[i]..keyStart[i+1] is row i's key. Length n+1. */
  keyStart: Int32Array;
  hashHi: Int32Array;
  hashLo: Int32Array;
}

export const BATCH_ROWS = 8192;
/** `RowBatch.unmapped` of a row with a NULL key column. */
export const INVALID_KEY = 4;

export function newBatch(keyBytes: number): RowBatch {
  return {
    n: 0,
    unmapped: new Uint8Array(BATCH_ROWS),
    raw: null,
    keys: Buffer.allocUnsafe(keyBytes),
    keyStart: new Int32Array(BATCH_ROWS + 1),
    hashHi: new Int32Array(BATCH_ROWS),
    hashLo: new Int32Array(BATCH_ROWS),
  };
}
