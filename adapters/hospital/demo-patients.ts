/**
 * Deterministic randomness and the synthetic patient population of the demo hospital. It lives
 * with the simulated adapter, whose downtime packets list these patients; the demo simulator
 * (scripts/demo-hospital) draws its visits from the same population.
 */

/** 32-bit string hash (FNV-1a with a murmur3 finaliser). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) fixed by the string. */
export function unit(s: string): number {
  return hash32(s) / 0x1_0000_0000;
}

export interface Rng {
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32, seeded by a string. */
export function rng(seed: string): Rng {
  let a = hash32(seed);
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    chance: (p) => next() < p,
  };
}

/** Full-width forms, as a Chinese input method types them (ASCII letters, digits, punctuation; space -> U+3000). */
export function fullWidth(s: string): string {
  return Array.from(s, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    if (cp === 0x20) return '\u3000';
    return cp > 0x20 && cp < 0x7f ? String.fromCodePoint(cp + 0xfee0) : c;
  }).join('');
}

// Common surnames (by frequency) and given names; a few compound surnames.
const SURNAMES = Array.from(
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
).concat(['欧阳', '司马', '诸葛', '上官']);
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '秀英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '平',
  '刚',
  '桂英',
  '华',
  '建华',
  '建国',
  '志强',
  '子涵',
  '梓萱',
  '浩然',
  '一诺',
  '欣怡',
  '宇轩',
  '雨桐',
  '思远',
  '佳琪',
  '俊杰',
  '淑珍',
  '玉兰',
  '德明',
];
const PINYIN_SURNAMES = [
  'Zhang',
  'Wang',
  'Li',
  'Liu',
  'Chen',
  'Yang',
  'Huang',
  'Zhao',
  'Wu',
  'Zhou',
  'Xu',
  'Sun',
  'Ma',
  'Zhu',
  'Hu',
  'Guo',
  'He',
  'Lin',
  'Luo',
  'Ouyang',
];
const PINYIN_GIVEN = [
  'Wei',
  'Fang',
  'Na',
  'Min',
  'Jing',
  'Lei',
  'Jun',
  'Yang',
  'Yong',
  'Jie',
  'Tao',
  'Ming',
  'Chao',
  'Xiaoming',
  'Jianguo',
  'Yuxuan',
  'Zihan',
  'Haoran',
  'Xinyi',
  'Yinuo',
];

/** Size of the patient population the simulator draws visits from. */
export const PATIENT_POOL = 200_000;

export interface Patient {
  /** Opaque id, e.g. P00012345. */
  id: string;
  mrn: string;
  sex: 'male' | 'female';
  birthDate: string;
  /** As the legacy HIS keeps it (pinyin names in capitals). */
  legacyName: string;
  /** As typed into the new system (mixed case, sometimes full-width or with an ideographic space). */
  newName: string;
}

/** Patient number n (1..PATIENT_POOL): the same patient in every run. */
export function patient(n: number): Patient {
  const r = rng(`patient:${n}`);
  const sex = r.chance(0.5) ? 'male' : 'female';
  const birth = new Date(Date.UTC(1938, 0, 1) + r.int(0, 85 * 365) * 86_400_000).toISOString().slice(0, 10);
  let legacyName: string;
  let newName: string;
  if (r.chance(0.15)) {
    const name = `${r.pick(PINYIN_SURNAMES)} ${r.pick(PINYIN_GIVEN)}`;
    legacyName = name.toUpperCase();
    newName = r.chance(0.4) ? fullWidth(name) : name;
  } else {
    const name = r.pick(SURNAMES) + r.pick(GIVEN);
    legacyName = name;
    newName = r.chance(0.25) ? `${name}\u3000` : name;
  }
  return { id: `P${String(n).padStart(8, '0')}`, mrn: String(3_100_000_000 + n * 7), sex, birthDate: birth, legacyName, newName };
}
