import { describe, expect, it } from 'vitest';
import { LiveReads, type LookupOutcome } from '../../app/live-reads';

/** A query stand-in that counts its calls and answers when told. */
function deferredLoads() {
  const waiting: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  let calls = 0;
  return {
    load: () =>
      new Promise<unknown>((resolve, reject) => {
        calls++;
        waiting.push({ resolve, reject });
      }),
    get calls() {
      return calls;
    },
    answer: (v: unknown) => waiting.shift()!.resolve(v),
    fail: (e: unknown) => waiting.shift()!.reject(e),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('live reads (app/live-reads.ts)', () => {
  it('shares one query among concurrent callers and reuses its answer within the bound, counted from when it was sent', async () => {
    let now = 1_000;
    const outcomes: LookupOutcome[] = [];
    const reads = new LiveReads({ freshMs: 1000, now: () => now, onLookup: (o) => outcomes.push(o) });
    const q = deferredLoads();
    const all = Array.from({ length: 50 }, () => reads.read('program:p1', 'programStatus', q.load));
    await tick();
    expect(q.calls).toBe(1);
    now += 400; // the query takes 400 ms
    q.answer({ phase: 'pilot' });
    const answers = await Promise.all(all);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toEqual({ phase: 'pilot' });
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'shared')).toHaveLength(49);

    now += 599; // 999 ms after the query was sent: still fresh
    expect(await reads.read('program:p1', 'programStatus', q.load)).toBe(answers[0]);
    expect(q.calls).toBe(1);
    now += 1; // 1000 ms: asks again
    const again = reads.read('program:p1', 'programStatus', q.load);
    await tick();
    expect(q.calls).toBe(2);
    q.answer({ phase: 'wave-1' });
    expect(await again).toEqual({ phase: 'wave-1' });
  });

  it('keeps each workflow and query apart', async () => {
    const reads = new LiveReads({ freshMs: 1000 });
    expect(await reads.read('program:a', 'programStatus', async () => 'a')).toBe('a');
    expect(await reads.read('program:b', 'programStatus', async () => 'b')).toBe('b');
    expect(await reads.read('program:a', 'other', async () => 'a-other')).toBe('a-other');
    expect(await reads.read('program:a', 'programStatus', async () => 'not asked')).toBe('a');
  });

  it('gives an error to every caller in flight but never keeps it', async () => {
    const reads = new LiveReads({ freshMs: 1000 });
    const q = deferredLoads();
    const a = reads.read('program:p1', 'programStatus', q.load);
    const b = reads.read('program:p1', 'programStatus', q.load);
    await tick();
    q.fail(new Error('temporal down'));
    await expect(a).rejects.toThrow('temporal down');
    await expect(b).rejects.toThrow('temporal down');
    expect(q.calls).toBe(1);
    // At once, within the bound: a new query.
    const c = reads.read('program:p1', 'programStatus', q.load);
    await tick();
    expect(q.calls).toBe(2);
    q.answer('back');
    expect(await c).toBe('back');
  });

  it('after invalidate, the next read queries again, even while an older query is in flight', async () => {
    const reads = new LiveReads({ freshMs: 60_000 });
    expect(await reads.read('program:p1', 'programStatus', async () => 'before')).toBe('before');
    reads.invalidate('program:p1');
    expect(await reads.read('program:p1', 'programStatus', async () => 'after')).toBe('after');

    const q = deferredLoads();
    reads.invalidate('program:p1');
    const old = reads.read('program:p1', 'programStatus', q.load);
    await tick();
    reads.invalidate('program:p1'); // a decision lands while the old query runs
    const fresh = reads.read('program:p1', 'programStatus', q.load);
    await tick();
    expect(q.calls).toBe(2);
    q.answer('stale');
    q.answer('decided');
    expect(await old).toBe('stale');
    expect(await fresh).toBe('decided');
    // The old query's late answer did not replace the fresh one.
    expect(await reads.read('program:p1', 'programStatus', async () => 'not asked')).toBe('decided');
    // Another workflow whose id starts the same is not touched.
    expect(await reads.read('program:p10', 'programStatus', async () => 'p10')).toBe('p10');
    reads.invalidate('program:p1');
    expect(await reads.read('program:p10', 'programStatus', async () => 'not asked')).toBe('p10');
  });

  it('holds at most maxEntries, dropping the least recently read', async () => {
    const reads = new LiveReads({ freshMs: 60_000, maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) await reads.read(id, 'q', async () => id);
    await reads.read('a', 'q', async () => 'not asked'); // a is now the most recent
    await reads.read('d', 'q', async () => 'd');
    expect(reads.size).toBe(3);
    expect(await reads.read('a', 'q', async () => 'not asked')).toBe('a');
    expect(await reads.read('b', 'q', async () => 'b again')).toBe('b again');
    for (let i = 0; i < 5000; i++) await reads.read(`w${i}`, 'q', async () => i);
    expect(reads.size).toBe(3);
  });

  it('with a bound of 0, every read queries', async () => {
    const reads = new LiveReads({ freshMs: 0 });
    let calls = 0;
    await Promise.all(Array.from({ length: 5 }, () => reads.read('p', 'q', async () => ++calls)));
    expect(calls).toBe(5);
    expect(reads.size).toBe(0);
  });
});
