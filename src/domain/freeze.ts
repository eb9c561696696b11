/**
 * Freeze windows: times when nothing is copied into an environment. A window is either recurring (a
 * 5-field cron expression for its start, a duration and a time zone) or fixed (start and end). Pure: the
 * workflow calls `activeFreeze` with workflow time, so the answer is the same on replay. Cron expressions
 * and wall times in a time zone are croner's (no dependencies; zones via Intl, which the workflow
 * sandbox has).
 */
import { Cron, CronDate } from 'croner';
import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from './duration.js';

/** `2026-12-24T00:00` or `2026-12-24T00:00:00`, optionally with `Z` or `+01:00`. */
const ISO_HINT =
  'must be an ISO date-time such as "2026-12-24T00:00" (with `timeZone`) or "2026-12-24T00:00+01:00"';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

export function timeZoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `"${tz}" is not an IANA time zone; write e.g. "Europe/Berlin", "America/New_York" or "UTC"`;
  }
}

function cronProblem(expr: string, timeZone: string): string | undefined {
  if (expr.trim().split(/\s+/).length !== 5)
    return `"${expr}" is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 18 * * 5" for Fridays at 18:00`;
  try {
    if (new Cron(expr, { timezone: timeZone, paused: true }).nextRun(new Date(0)) === null)
      return `"${expr}" never matches a time (e.g. February 31st); fix the day or the month`;
    return undefined;
  } catch (e) {
    return `"${expr}" is not a valid cron expression (${(e as Error).message.replace(/^CronPattern: /, '').split('.')[0]}); e.g. "0 18 * * 5" for Fridays at 18:00`;
  }
}

export const FreezeWindowSpec = z
  .strictObject({
    /** Recurring: when each window starts (5 fields, in `timeZone`). */
    cron: z.string({ error: 'must be a 5-field cron expression in quotes, e.g. "0 18 * * 5"' }).optional(),
    /** Recurring: how long each window lasts. */
    duration: z
      .string({ error: 'must be a duration string such as "30m", "64h" or "2d"' })
      .regex(DURATION_PATTERN, { error: 'is not a duration; write e.g. "30s", "15m", "72h" or "1h30m"' })
      .optional(),
    /** Fixed: ISO date-time, with an offset (`Z`, `+01:00`) or read in `timeZone`. */
    start: z.string({ error: ISO_HINT }).optional(),
    end: z.string({ error: ISO_HINT }).optional(),
    /** IANA zone of the cron expression and of start/end without an offset. */
    timeZone: z.string({ error: 'must be an IANA time zone such as "Europe/Berlin" or "UTC"' }).optional(),
    /** Shown while a promotion waits, and in notifications. */
    reason: z.string({ error: 'must say why (e.g. "year-end change freeze")' }).min(1, {
      error: 'is empty; say why (e.g. "year-end change freeze")',
    }),
  })
  .superRefine((w, ctx) => {
    const add = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (w.timeZone !== undefined) {
      const p = timeZoneProblem(w.timeZone);
      if (p) return add('timeZone', p);
    }
    const recurring = w.cron !== undefined || w.duration !== undefined;
    const fixed = w.start !== undefined || w.end !== undefined;
    if (recurring === fixed)
      return ctx.addIssue({
        code: 'custom',
        message: recurring
          ? 'mixes a recurring window (cron, duration) with a fixed one (start, end); give one kind per window'
          : 'says no time; give `cron`, `duration` and `timeZone` (recurring) or `start` and `end` (fixed)',
      });
    if (recurring) {
      if (w.cron === undefined) return add('cron', 'is required with `duration`; e.g. "0 18 * * 5"');
      if (w.duration === undefined) return add('duration', 'is required with `cron`; e.g. "64h"');
      if (w.timeZone === undefined)
        return add('timeZone', 'is required with `cron`; e.g. "Europe/Berlin" or "UTC"');
      const p = cronProblem(w.cron, w.timeZone);
      if (p) add('cron', p);
      return;
    }
    for (const key of ['start', 'end'] as const) {
      const v = w[key];
      if (v === undefined)
        return add(key, `is required with \`${key === 'start' ? 'end' : 'start'}\`; e.g. "2026-12-24T00:00"`);
      const m = ISO.exec(v);
      if (!m)
        return add(
          key,
          `"${v}" is not an ISO date-time; write e.g. "2026-12-24T00:00" or "2026-12-24T00:00+01:00"`,
        );
      if (m[1] === undefined && w.timeZone === undefined)
        return add(key, `"${v}" has no offset; add one (e.g. "${v}+01:00") or give \`timeZone\``);
      if (m[1] !== undefined && w.timeZone !== undefined)
        return add(key, `"${v}" has an offset and the window a \`timeZone\`; give one of them`);
    }
    const r = fixedRange(w as FreezeWindow);
    for (const key of ['start', 'end'] as const)
      if (r && Number.isNaN(r[key]))
        return add(key, `"${w[key]}" is not a real date and time; ${ISO_HINT.replace(/^must be/, 'write')}`);
    if (r && r.end <= r.start)
      add('end', `"${w.end}" is not after start "${w.start}"; swap them or fix the date`);
  });

export type FreezeWindow = z.output<typeof FreezeWindowSpec>;
export const FreezeList = z.array(FreezeWindowSpec, {
  error:
    'must be a list of windows, e.g. [{ cron: "0 18 * * 5", duration: 64h, timeZone: Europe/Berlin, reason: weekend }]',
});

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
function fixedRange(w: FreezeWindow): { start: number; end: number } | undefined {
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
