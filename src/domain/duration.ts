/**
 * Durations in pipeline files: `90s`, `30m`, `72h`, `7d`, `500ms`, or compound `1h30m`. Kept as strings in
 * the config (and so in workflow history, readable) and converted where a timer or timeout needs ms.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)(ms|s|m|h|d)/g;
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d))+$/;

/** Milliseconds of a duration string; throws on a malformed one (the schema checks first). */
export function durationMs(text: string): number {
  if (!DURATION_PATTERN.test(text))
    throw new Error(`"${text}" is not a duration; write e.g. 30s, 15m, 72h or 1h30m`);
  let total = 0;
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

/**
 * Limits of a duration in a pipeline file. The longest is 10 years: Temporal timers and timeouts end at
 * about 100 years, and the workflow derives longer ones from a pipeline's (a verification's activity may
 * take 3× its timeout plus retries), so 10 years keeps every derived timer valid and every date printable
 * (`99999999d` would overflow JavaScript dates, which end at year 275760). The shortest poll interval is 1 s:
 * a faster one polls Harbor in a tight loop (`0s` would never yield).
 */
export const MAX_DURATION = '3650d';
export const MAX_DURATION_MS = 3650 * UNIT_MS.d;
export const MIN_POLL_INTERVAL = '1s';
export const MIN_POLL_INTERVAL_MS = UNIT_MS.s;

/** 5400000 → `1h30m`: for messages and current details. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let rest = Math.round(ms / 1000);
  const out: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return out.join('');
}
