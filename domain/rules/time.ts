/**
 * Hospital-local time, deterministically: every function takes "now" as a parameter, so the
 * workflows get the same answer on replay. Wall times are resolved with the zone's offsets
 * (luxon's IANAZone, i.e. Intl), and daylight-saving gaps and overlaps have one defined answer:
 * a wall time that does not exist maps to the first instant after the gap, one that occurs twice
 * maps to its first occurrence.
 */
import { IANAZone } from 'luxon';
import { durationMs, type ParallelRunSettings, type Wave, type Weekday } from '../plan';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function zoneOf(tz: string): IANAZone {
  const zone = IANAZone.create(tz);
  if (!zone.isValid) throw new Error(`not an IANA time zone: ${tz}`);
  return zone;
}

/** The wall-clock reading at `ms`, written as if it were UTC ("local naive" ms). */
function localNaive(zone: IANAZone, ms: number): number {
  return ms + zone.offset(ms) * MINUTE;
}

/** The instant at which the wall clock reads `naive` (see the module comment for gaps and overlaps). */
function instantOf(zone: IANAZone, naive: number): number {
  const offsets = [...new Set([zone.offset(naive - DAY), zone.offset(naive), zone.offset(naive + DAY)])];
  const exact = offsets.map((o) => naive - o * MINUTE).filter((t) => localNaive(zone, t) === naive);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the clock jumps over `naive`; find the first instant whose reading is past it.
  let lo = naive - Math.max(...offsets) * MINUTE;
  let hi = naive - Math.min(...offsets) * MINUTE;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localNaive(zone, mid) >= naive) hi = mid;
    else lo = mid;
  }
  return hi;
}

function parseHhmm(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!(minutes >= 0 && minutes <= 24 * 60)) throw new Error(`not a local time HH:mm: ${hhmm}`);
  return minutes * MINUTE;
}

function parseDay(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) throw new Error(`not a date YYYY-MM-DD: ${day}`);
  return ms;
}

/** 'YYYY-MM-DDTHH:mm' hospital-local to epoch ms. */
export function localDateTimeToMs(local: string, tz: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(local);
  if (!m) throw new Error(`not a local date-time YYYY-MM-DDTHH:mm: ${local}`);
  return instantOf(zoneOf(tz), parseDay(m[1]!) + parseHhmm(m[2]!));
}

/**
 * The next instant strictly after `afterMs` at which the hospital's clock reads `hhmm` (or, on a
 * night when `hhmm` is skipped by a daylight-saving jump, the instant of the jump). A wall time
 * that occurs twice counts once, at its first occurrence, so a nightly job runs once a night.
 */
export function nextLocalTime(hhmm: string, tz: string, afterMs: number): number {
  const zone = zoneOf(tz);
  const time = parseHhmm(hhmm);
  const today = Math.floor(localNaive(zone, afterMs) / DAY) * DAY;
  for (let day = today - DAY; ; day += DAY) {
    const at = instantOf(zone, day + time);
    if (at > afterMs) return at;
  }
}

/** The hospital-local calendar day (YYYY-MM-DD) that `ms` falls on: the day a comparison covers. */
export function businessDayOf(ms: number, tz: string): string {
  return new Date(localNaive(zoneOf(tz), ms)).toISOString().slice(0, 10);
}

/** [start, end) of a hospital-local calendar day in epoch ms: 23 or 25 hours long on daylight-saving days. */
export function businessDayWindow(day: string, tz: string): [number, number] {
  const zone = zoneOf(tz);
  const start = parseDay(day);
  return [instantOf(zone, start), instantOf(zone, start + DAY)];
}

/** Earliest instant at which the wave's exit gate may open: minimumDuration if given, else minimumDays of 24 hours. */
export function exitGateAllowedAt(wave: Pick<Wave, 'minimumDays' | 'minimumDuration'>, wentLiveAtMs: number): number {
  return wentLiveAtMs + (wave.minimumDuration !== undefined ? durationMs(wave.minimumDuration) : wave.minimumDays * DAY);
}

/** Earliest instant at which the parallel run may end (its final gate may open). */
export function parallelRunMinimumEndsAt(run: Pick<ParallelRunSettings, 'minimumDays' | 'minimumDuration'>, startedAtMs: number): number {
  return startedAtMs + (run.minimumDuration !== undefined ? durationMs(run.minimumDuration) : run.minimumDays * DAY);
}

/** When a gate's approvers are due, counted from its opening. */
export function decisionDueAt(gate: { decisionDeadline: string }, openedAtMs: number): number {
  return openedAtMs + durationMs(gate.decisionDeadline);
}

export type WaveStartCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'outside-start-window' | 'in-blackout';
      /** The earliest allowed start after now; null if none within the search horizon. */
      nextAllowedAtMs: number | null;
    };

/** Bound on the next-start search: each step jumps past a blackout or to a window start. */
const SEARCH_STEPS = 1000;

/** May the wave start its go-live now? Inside a start window (if it has any) and outside every blackout. */
export function canStartWave(wave: Pick<Wave, 'startWindows' | 'blackouts'>, tz: string, nowMs: number): WaveStartCheck {
  const zone = zoneOf(tz);
  const blackouts = wave.blackouts.map((b) => [localDateTimeToMs(b.from, tz), localDateTimeToMs(b.to, tz)] as const);
  const blackoutEnd = (t: number) => {
    const hit = blackouts.filter(([from, to]) => from <= t && t < to);
    return hit.length ? Math.max(...hit.map(([, to]) => to)) : null;
  };

  /** The first instant >= t inside a start window. */
  const windowFrom = (t: number): number | null => {
    if (wave.startWindows.length === 0) return t;
    const naive = localNaive(zone, t);
    const today = Math.floor(naive / DAY) * DAY;
    let best: number | null = null;
    for (let day = today; day <= today + 7 * DAY; day += DAY) {
      const weekday = WEEKDAYS[new Date(day).getUTCDay()]!;
      for (const w of wave.startWindows) {
        if (!w.days.includes(weekday)) continue;
        const from = day + parseHhmm(w.from);
        const to = day + parseHhmm(w.to);
        const candidate = naive >= from && naive < to ? t : instantOf(zone, from);
        if (candidate >= t && (best === null || candidate < best)) best = candidate;
      }
      if (best !== null) return best;
    }
    return best;
  };

  const inBlackout = blackoutEnd(nowMs) !== null;
  if (!inBlackout && windowFrom(nowMs) === nowMs) return { ok: true };

  let t = nowMs;
  let next: number | null = null;
  for (let i = 0; i < SEARCH_STEPS; i++) {
    const end = blackoutEnd(t);
    if (end !== null) {
      t = end;
      continue;
    }
    const start = windowFrom(t);
    if (start === null) break;
    if (start === t) {
      next = t;
      break;
    }
    t = start;
  }
  return { ok: false, reason: inBlackout ? 'in-blackout' : 'outside-start-window', nextAllowedAtMs: next };
}
