/**
 * Freeze windows without zod: when a window is open (`activeFreeze`, called by the workflow with workflow
 * time). The workflow bundle imports this file (see pipeline-rules.ts for why); freeze.ts holds the schema
 * and re-exports it.
 */
import { Cron, CronDate } from 'croner';
import { durationMs } from './duration.js';
import type { FreezeWindow } from './freeze.js';

/**
 * Epoch ms of an ISO date-time (checked by ISO), NaN when it names no real time (month 13, February 30).
 * Without an offset it is a wall time in `timeZone` (croner's CronDate resolves it, DST included).
 */
function instantOf(v: string, timeZone: string | undefined): number {
  const [date, time] = v.split('T') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, sec = 0] = time
    .replace(/(Z|[+-]\d{2}:\d{2})$/, '')
    .split(':')
    .map(Number) as [number, number, number?];
  const wall = new Date(Date.UTC(y, mo - 1, d, h, mi, Math.floor(sec)));
  const real =
    wall.getUTCFullYear() === y &&
    wall.getUTCMonth() === mo - 1 &&
    wall.getUTCDate() === d &&
    wall.getUTCHours() === h &&
    wall.getUTCMinutes() === mi;
  if (!real) return NaN;
  if (!timeZone) return Date.parse(v);
  try {
    return new CronDate(v, timeZone).getTime();
  } catch {
    return NaN;
  }
}

/** Start and end (epoch ms) of a fixed window; undefined for a recurring one. */
export function fixedRange(w: FreezeWindow): { start: number; end: number } | undefined {
  if (w.start === undefined || w.end === undefined) return undefined;
  return { start: instantOf(w.start, w.timeZone), end: instantOf(w.end, w.timeZone) };
}

/** The span of `w` that contains `now`, if any. */
function spanAt(w: FreezeWindow, now: number): { start: number; end: number } | undefined {
  const fixed = fixedRange(w);
  if (fixed) return fixed.start <= now && now < fixed.end ? fixed : undefined;
  const cron = new Cron(w.cron!, { timezone: w.timeZone!, paused: true });
  // previousRuns excludes its reference instant; a window starting exactly now has begun.
  const start = cron.previousRuns(1, new Date(now + 1000))[0]?.getTime();
  if (start === undefined || start > now) return undefined;
  const end = start + durationMs(w.duration!);
  return now < end ? { start, end } : undefined;
}

export interface ActiveFreeze {
  /** Epoch ms when the window that ends last among those open now ends (others may follow: check again). */
  until: number;
  reason: string;
  /** Position in the list given to `activeFreeze`. */
  index: number;
}

/** The open window that ends last at `now` (epoch ms), or undefined when none is open. */
export function activeFreeze(windows: readonly FreezeWindow[], now: number): ActiveFreeze | undefined {
  let best: ActiveFreeze | undefined;
  windows.forEach((w, index) => {
    const s = spanAt(w, now);
    if (s && (!best || s.end > best.until)) best = { until: s.end, reason: w.reason, index };
  });
  return best;
}
