/** The COPY reader's hash table: what was set is found, the zero key kept apart, a second value refused. */
import { describe, expect, it } from 'vitest';
import { HashMap } from '../../compare/hashMap';

describe('HashMap (raw spelling hash -> canonical hash)', () => {
  it('finds what was set, keeps the zero key apart, refuses a second value and survives growth', () => {
    const m = new HashMap(2);
    expect(m.find(0, 0)).toBe(false);
    expect(m.set(0, 0, 7, 8)).toBe(true);
    expect(m.find(0, 0)).toBe(true);
    expect([m.hi, m.lo]).toEqual([7, 8]);
    // keys that collide in the low bits (same slot) and negative halves
    for (let i = 1; i <= 5000; i++) expect(m.set(i * 1024, -i, i, -i)).toBe(true);
    expect(m.size).toBe(5001);
    for (let i = 1; i <= 5000; i++) {
      expect(m.find(i * 1024, -i)).toBe(true);
      expect([m.hi, m.lo]).toEqual([i, -i]);
    }
    expect(m.find(1024, 1)).toBe(false);
    expect(m.set(1024, -1, 1, -1)).toBe(true); // same entry again
    expect(m.set(1024, -1, 2, -1)).toBe(false); // ambiguous
    expect(m.set(0, 0, 7, 9)).toBe(false);
    expect(m.find(0, 0) && m.hi === 7 && m.lo === 8).toBe(true);
  });
});
