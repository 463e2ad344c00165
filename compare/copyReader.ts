/**
 * Minimal, allocation-light reader for `COPY (...) TO STDOUT (FORMAT binary)` whose rows are
 * (key_1 text, ..., key_k text, row_hash int8, raw_hash_1 int8, ...): each raw hash is looked up
 * in its `HashMap` (raw value hash -> canonical hash) and the canonical hashes XOR-ed into the
 * row hash; a row with a raw hash not (yet) known keeps its raw hashes for the merge, which
 * looks them up again when it compares the row (the re-check may have learnt them by then).
 *
 * pg-copy-streams allocates per row; at millions of rows per second that dominates. This reader
 * takes over the socket like pg-copy-streams does, parses CopyData messages in place and writes
 * rows into compact column batches: key bytes copied into one buffer per batch (components
 * joined by 0x00, NULL as 0xFF, so byte order of the joined key equals the tuple order of
 * `ORDER BY k1 COLLATE "C", k2 COLLATE "C" NULLS LAST`), and the 64-bit hash as two int32.
 * Socket chunks are never retained (keys are copied), so memory stays bounded.
 */
import type { Client, Connection, Submittable } from 'pg';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HashMap } from './hashMap';
import { BATCH_ROWS, INVALID_KEY, newBatch, type RowBatch } from './rowBatch';
import { isReusedBufferSocket, setDirectReader } from './socket';

const MAX_QUEUED = 4;
const MAX_FREE = 4;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

type DataHandler = (chunk: Buffer) => void;

/** Big-endian reads over a buffer's bytes, same offsets as the buffer (one per chunk, not per row). */
function view(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

export class BinaryKeyHashCopy implements Submittable {
  private stream: Duplex | null = null;
  /** The socket's reads come straight to `onData` as views of its one reused buffer (see socket.ts). */
  private direct = false;
  private pgHandler: DataHandler | null = null;
  private carry: Buffer = Buffer.allocUnsafe(64 * 1024);
  private carryView = view(this.carry);
  private carryLen = 0;
  private headerPending = true;
  private batch: RowBatch;
  private keyCap = 64 * 1024;
  private queue: (RowBatch | null)[] = [];
  private free: RowBatch[] = [];
  private waiter: { resolve: (b: RowBatch | null) => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;
  private paused = false;
  private ended = false;
  private finished!: Promise<void>;
  private finishResolve!: () => void;
  private finishReject!: (e: Error) => void;
  rows = 0;
  /** The current row's raw hashes (scratch). */
  private readonly rowRaw: Int32Array;

  constructor(
    private readonly sql: string,
    private readonly keyCount: number,
    /** One per extra hash column after the row hash (Node-mapped fields): raw hash -> canonical hash. */
    private readonly maps: HashMap[] = [],
    /** Per extra hash column, the raw hash its NULL stands for (high, low int32). */
    private readonly nullRaw: Int32Array = new Int32Array(maps.length * 2),
  ) {
    this.rowRaw = new Int32Array(maps.length * 2);
    this.batch = newBatch(this.keyCap);
    this.finished = new Promise<void>((res, rej) => {
      this.finishResolve = res;
      this.finishReject = rej;
    });
    this.finished.catch(() => undefined);
  }

  static start(client: Client, sql: string, keyCount: number, maps: HashMap[] = [], nullRaw?: Int32Array): BinaryKeyHashCopy {
    const r = new BinaryKeyHashCopy(sql, keyCount, maps, nullRaw);
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
    this.direct = isReusedBufferSocket(stream);
    if (this.direct) setDirectReader(stream as Socket, this.onData);
    else {
      stream.removeListener('data', handler);
      stream.on('data', this.onData);
    }
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
    this.batch = this.free.pop() ?? newBatch(this.keyCap);
  }

  /**
   * Hand a batch back once nothing refers to it any more: its arrays are reused for the next
   * rows instead of allocating ~170 KB per 8,192 rows. New arrays per batch meant hundreds of MB
   * of short-lived external memory per run, freed only by a full collection: the process's RSS
   * grew run after run.
   */
  release(b: RowBatch): void {
    if (this.free.length >= MAX_FREE) return;
    b.n = 0;
    b.keyStart[0] = 0;
    this.free.push(b);
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
    if (this.direct) setDirectReader(stream as Socket, null);
    else {
      stream.removeListener('data', this.onData);
      stream.on('data', handler);
    }
    this.stream = null;
    if (this.paused) {
      this.paused = false;
      stream.resume();
    }
    // a view of the socket's reused buffer must be copied before pg's parser gets it
    if (rest.length > 0) handler(this.direct ? Buffer.from(rest) : rest);
  }

  /** Append chunk[from, to) to the carried (split) message. */
  private appendCarry(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.carryLen + n > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLen + n));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
      this.carryView = view(bigger);
    }
    chunk.copy(this.carry, this.carryLen, from, to);
    this.carryLen += n;
  }

  /** Handle one complete message buf[start, end); false once the COPY is over (socket handed back). */
  private message(buf: Buffer, dv: DataView, start: number, end: number, rest: Buffer, restFrom: number): boolean {
    const code = buf[start]!;
    if (code === 0x64 /* d */) {
      try {
        this.parsePayload(buf, dv, start + 5, end);
      } catch (e) {
        this.fail(e as Error);
      }
    } else if (code === 0x63 /* c: CopyDone */) {
      this.flushBatch();
      this.ended = true;
      this.deliver(null);
      this.detach(rest.subarray(restFrom));
      return false;
    }
    // H (CopyOutResponse), N, S, A: nothing to do.
    return true;
  }

  private readonly onData = (chunk: Buffer): void => {
    let pos = 0;
    const end = chunk.length;
    if (this.carryLen > 0) {
      // A message split by the previous chunk: complete it with only the bytes it still needs
      // (not chunk-sized copies per chunk, which doubled the bytes allocated per row).
      if (this.carryLen < 5) {
        pos = Math.min(5 - this.carryLen, end);
        this.appendCarry(chunk, 0, pos);
        if (this.carryLen < 5) return;
      }
      if (this.carry[0] === 0x45 /* E */) {
        const all = Buffer.concat([this.carry.subarray(0, this.carryLen), chunk.subarray(pos)]);
        this.carryLen = 0;
        this.detach(all);
        return;
      }
      const total = 1 + this.carry.readInt32BE(1);
      const take = Math.min(total - this.carryLen, end - pos);
      this.appendCarry(chunk, pos, pos + take);
      pos += take;
      if (this.carryLen < total) return;
      this.carryLen = 0;
      if (!this.message(this.carry, this.carryView, 0, total, chunk, pos)) return;
    }
    const dv = view(chunk);
    while (end - pos >= 5) {
      const code = chunk[pos]!;
      const len = dv.getInt32(pos + 1);
      if (code === 0x45 /* E */) {
        this.detach(chunk.subarray(pos));
        return;
      }
      if (end - pos < 1 + len) break;
      const mend = pos + 1 + len;
      if (!this.message(chunk, dv, pos, mend, chunk, mend)) return;
      pos = mend;
    }
    if (pos < end) this.appendCarry(chunk, pos, end);
  };

  private parsePayload(buf: Buffer, dv: DataView, start: number, end: number): void {
    let p = start;
    if (this.headerPending) {
      if (end - p < 19 || buf.compare(SIGNATURE, 0, 11, p, p + 11) !== 0) throw new Error('compare: bad COPY header');
      const ext = dv.getInt32(p + 15);
      p += 19 + ext;
      this.headerPending = false;
    }
    const kc = this.keyCount;
    const maps = this.maps;
    const nulls = this.nullRaw;
    const extra = maps.length;
    while (p < end) {
      const nf = dv.getInt16(p);
      p += 2;
      if (nf === -1) continue; // trailer
      if (nf !== kc + 1 + extra) throw new Error('compare: unexpected COPY row shape');
      let b = this.batch;
      // The key takes at most the rest of the message (a 4-byte length per component becomes at
      // most one separator or NULL byte); PostgreSQL sends one row per CopyData message.
      const need = end - p;
      const n = b.n;
      let kp = b.keyStart[n]!;
      if (kp + need > b.keys.length) {
        while (this.keyCap < need * 2 || this.keyCap < kp + need) this.keyCap *= 2;
        const bigger = Buffer.allocUnsafe(Math.max(this.keyCap, kp + need));
        b.keys.copy(bigger, 0, 0, kp);
        b.keys = bigger;
      }
      const keys = b.keys;
      let invalid = false;
      for (let i = 0; i < kc; i++) {
        if (i > 0) keys[kp++] = 0;
        const l = dv.getInt32(p);
        p += 4;
        if (l < 0) {
          keys[kp++] = 0xff;
          invalid = true;
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
      const hl = dv.getInt32(p);
      p += 4;
      let hHi = 0;
      let hLo = 0;
      if (hl === 8) {
        hHi = dv.getInt32(p);
        hLo = dv.getInt32(p + 4);
        p += 8;
      } else if (hl > 0) p += hl;
      let unmapped = 0;
      if (extra > 0) {
        let xHi = 0;
        let xLo = 0;
        const rowRaw = this.rowRaw;
        for (let m = 0; m < extra; m++) {
          const cl = dv.getInt32(p);
          p += 4;
          let rHi: number;
          let rLo: number;
          if (cl === 8) {
            rHi = dv.getInt32(p);
            rLo = dv.getInt32(p + 4);
            p += 8;
          } else if (cl === -1) {
            // NULL: the field's NULL hash, as the re-fetch's raw column gives it
            rHi = nulls[2 * m]!;
            rLo = nulls[2 * m + 1]!;
          } else {
            unmapped = 1;
            if (cl > 0) p += cl;
            continue;
          }
          rowRaw[2 * m] = rHi;
          rowRaw[2 * m + 1] = rLo;
          if (unmapped !== 0) continue;
          const map = maps[m]!;
          if (map.find(rHi, rLo)) {
            xHi ^= map.hi;
            xLo ^= map.lo;
          } else unmapped = 2;
        }
        if (unmapped === 0) {
          hHi ^= xHi;
          hLo ^= xLo;
        } else if (unmapped === 2) {
          // keep the raw hashes for the merge's second look
          (b.raw ??= new Int32Array(BATCH_ROWS * extra * 2)).set(rowRaw, n * extra * 2);
        }
      }
      b.hashHi[n] = hHi;
      b.hashLo[n] = hLo;
      b.unmapped[n] = invalid ? INVALID_KEY : unmapped;
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
