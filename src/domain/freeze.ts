/**
 * Freeze windows: times when nothing is copied into an environment. A window is either recurring (a
 * 5-field cron expression for its start, a duration and a time zone) or fixed (start and end). Pure: the
 * workflow calls `activeFreeze` with workflow time, so the answer is the same on replay. Cron expressions
 * and wall times in a time zone are croner's (no dependencies; zones via Intl, which the workflow
 * sandbox has).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import { fixedRange } from './freeze-rules.js';

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

// Zod-free (the workflow imports them from freeze-rules.ts directly).
export { activeFreeze, type ActiveFreeze } from './freeze-rules.js';
