/**
 * Minimal, allocation-light reader for `COPY (...) TO STDOUT (FORMAT binary)` whose rows are
 * (key_1 text, ..., key_k text, row_hash int8).
 *
 * pg-copy-streams allocates per row; at millions of rows per second that dominates. This reader
 * takes over the socket like pg-copy-streams does, parses CopyData messages in place and writes
 * rows into compact column batches: key bytes copied into one buffer per batch (components
 * joined by 0x00, NULL as 0xFF, so byte order of the joined key equals the tuple order of
 * `ORDER BY k1 COLLATE "C", k2 COLLATE "C" NULLS LAST`), and the 64-bit hash as two int32.
 * Socket chunks are never retained (keys are copied), so memory stays bounded.
 */
import type { Client, Connection, Submittable } from 'pg';
import type { Duplex } from 'node:stream';

export interface RowBatch {
  n: number;
  /** Concatenated key bytes. */
  keys: Buffer;
  /** keyStart[i]..keyStart[i+1] is row i's key. Length n+1. */
  keyStart: Int32Array;
  hashHi: Int32Array;
  hashLo: Int32Array;
}

const BATCH_ROWS = 8192;
const MAX_QUEUED = 4;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function newBatch(keyBytes: number): RowBatch {
  return {
    n: 0,
    keys: Buffer.allocUnsafe(keyBytes),
    keyStart: new Int32Array(BATCH_ROWS + 1),
    hashHi: new Int32Array(BATCH_ROWS),
    hashLo: new Int32Array(BATCH_ROWS),
  };
}

type DataHandler = (chunk: Buffer) => void;

export class BinaryKeyHashCopy implements Submittable {
  private stream: Duplex | null = null;
  private pgHandler: DataHandler | null = null;
  private carry: Buffer | null = null;
  private headerPending = true;
  private batch: RowBatch;
  private keyCap = 64 * 1024;
  private queue: (RowBatch | null)[] = [];
  private waiter: { resolve: (b: RowBatch | null) => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;
  private paused = false;
  private ended = false;
  private finished!: Promise<void>;
  private finishResolve!: () => void;
  private finishReject!: (e: Error) => void;
  rows = 0;

  constructor(
    private readonly sql: string,
    private readonly keyCount: number,
  ) {
    this.batch = newBatch(this.keyCap);
    this.finished = new Promise<void>((res, rej) => {
      this.finishResolve = res;
      this.finishReject = rej;
    });
    this.finished.catch(() => undefined);
  }

  static start(client: Client, sql: string, keyCount: number): BinaryKeyHashCopy {
    const r = new BinaryKeyHashCopy(sql, keyCount);
    client.query(r);
    return r;
  }

  submit(connection: Connection): void {
    const stream = connection.stream;
    const listeners = stream.listeners('data') as DataHandler[];
    const handler = listeners[0];
    if (listeners.length !== 1 || !handler) throw new Error('compare: unexpected pg connection state');
    this.stream = stream;
    this.pgHandler = handler;
    stream.removeListener('data', handler);
    stream.on('data', this.onData);
    (connection as unknown as { query(text: string): void }).query(this.sql);
  }

  /** Next batch, or null at the end of the stream. */
  next(): Promise<RowBatch | null> {
    if (this.queue.length > 0) {
      const b = this.queue.shift() as RowBatch | null;
      if (this.paused && this.queue.length <= 1) {
        this.paused = false;
        this.stream?.resume();
      }
      return Promise.resolve(b);
    }
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      if (this.paused) {
        this.paused = false;
        this.stream?.resume();
      }
    });
  }

  /** Resolves when the server has completed the COPY (after the last batch). */
  done(): Promise<void> {
    return this.finished;
  }

  private deliver(b: RowBatch | null): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(b);
      return;
    }
    this.queue.push(b);
    if (this.queue.length >= MAX_QUEUED && !this.paused && this.stream) {
      this.paused = true;
      this.stream.pause();
    }
  }

  private flushBatch(): void {
    if (this.batch.n === 0) return;
    this.deliver(this.batch);
    this.batch = newBatch(this.keyCap);
  }

  private fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(e);
    }
    this.finishReject(e);
  }

  private detach(rest: Buffer): void {
    const stream = this.stream;
    const handler = this.pgHandler;
    if (!stream || !handler) return;
    stream.removeListener('data', this.onData);
    stream.on('data', handler);
    this.stream = null;
    if (this.paused) {
      this.paused = false;
      stream.resume();
    }
    if (rest.length > 0) handler(rest);
  }

  private readonly onData = (chunk: Buffer): void => {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= 5) {
      const code = buf[pos]!;
      const len = buf.readInt32BE(pos + 1);
      if (code === 0x45 /* E */) {
        this.detach(buf.subarray(pos));
        return;
      }
      if (end - pos < 1 + len) break;
      const p = pos + 5;
      const pend = pos + 1 + len;
      pos = pend;
      if (code === 0x64 /* d */) {
        try {
          this.parsePayload(buf, p, pend);
        } catch (e) {
          this.fail(e as Error);
        }
      } else if (code === 0x63 /* c: CopyDone */) {
        this.flushBatch();
        this.ended = true;
        this.deliver(null);
        this.detach(buf.subarray(pos));
        return;
      }
      // H (CopyOutResponse), N, S, A: nothing to do.
    }
    if (pos < end) this.carry = Buffer.from(buf.subarray(pos));
  };

  private parsePayload(buf: Buffer, start: number, end: number): void {
    let p = start;
    if (this.headerPending) {
      if (end - p < 19 || buf.compare(SIGNATURE, 0, 11, p, p + 11) !== 0) throw new Error('compare: bad COPY header');
      const ext = buf.readInt32BE(p + 15);
      p += 19 + ext;
      this.headerPending = false;
    }
    const kc = this.keyCount;
    while (p < end) {
      const nf = buf.readInt16BE(p);
      p += 2;
      if (nf === -1) continue; // trailer
      if (nf !== kc + 1) throw new Error('compare: unexpected COPY row shape');
      let b = this.batch;
      // worst case bytes for this row's key
      let need = 0;
      {
        let q = p;
        for (let i = 0; i < kc; i++) {
          const l = buf.readInt32BE(q);
          q += 4 + (l > 0 ? l : 0);
          need += (l > 0 ? l : 1) + 1;
        }
      }
      const n = b.n;
      let kp = b.keyStart[n]!;
      if (kp + need > b.keys.length) {
        while (this.keyCap < need * 2 || this.keyCap < kp + need) this.keyCap *= 2;
        const bigger = Buffer.allocUnsafe(Math.max(this.keyCap, kp + need));
        b.keys.copy(bigger, 0, 0, kp);
        b.keys = bigger;
      }
      const keys = b.keys;
      for (let i = 0; i < kc; i++) {
        if (i > 0) keys[kp++] = 0;
        const l = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
        p += 4;
        if (l < 0) {
          keys[kp++] = 0xff;
        } else if (l < 48) {
          for (let j = 0; j < l; j++) keys[kp + j] = buf[p + j]!;
          kp += l;
          p += l;
        } else {
          buf.copy(keys, kp, p, p + l);
          kp += l;
          p += l;
        }
      }
      const hl = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
      if (hl === 8) {
        b.hashHi[n] = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
        b.hashLo[n] = (buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!;
        p += 8;
      } else {
        b.hashHi[n] = 0;
        b.hashLo[n] = 0;
        if (hl > 0) p += hl;
      }
      b.n = n + 1;
      b.keyStart[n + 1] = kp;
      this.rows++;
      if (b.n === BATCH_ROWS) {
        this.flushBatch();
        b = this.batch;
      }
    }
  }

  // --- pg active-query hooks -------------------------------------------------------------
  handleError(err: Error): void {
    this.fail(err);
  }
  handleCommandComplete(): void {
    /* row count tracked locally */
  }
  handleReadyForQuery(): void {
    if (!this.ended && !this.error) this.fail(new Error('compare: COPY ended unexpectedly'));
    else if (!this.error) this.finishResolve();
  }
  handleCopyData(): void {
    /* not used: data is read from the socket directly */
  }
}

