/**
 * The pipeline's rules the workflow applies, without zod: the workflow bundle imports this file (and the
 * other *-rules.ts files) instead of pipeline.ts, so creating a workflow evaluates no zod module (every
 * cached workflow evaluates its own copy of each module it imports; tracker issue 13). pipeline.ts holds the
 * schema and re-exports all of this; only types come from it here (`import type` is erased).
 * test/unit/workflows/sandbox-modules.test.ts keeps the workflow bundle free of zod.
 */
import {
  DURATION_PATTERN,
  durationMs,
  MAX_DURATION,
  MAX_DURATION_MS,
  MIN_POLL_INTERVAL,
  MIN_POLL_INTERVAL_MS,
} from './duration.js';
import { DEFAULT_CONCURRENCY, type ConcurrencyPolicy } from './environment-lock.js';
import type { Environment, Pipeline, ScanSettings } from './pipeline.js';

/** How an environment's scan gate behaves: `required` (default), `optional` (only with a scanner), `off`. */
export type ScanMode = 'required' | 'optional' | 'off';
export function scanMode(env: Environment): ScanMode {
  if (env.scan === false) return 'off';
  return env.scan.required === false ? 'optional' : 'required';
}
/** Poll interval and deadline of the scan gate (the defaults when it is off, for code that needs numbers). */
export function scanSettings(env: Environment): ScanSettings {
  return env.scan === false ? { timeout: '30m', pollInterval: '15s' } : env.scan;
}

/** The environment's `concurrency` policy (default `supersede`). */
export function concurrencyOf(env: Environment): ConcurrencyPolicy {
  return env.concurrency ?? DEFAULT_CONCURRENCY;
}

/** Repository of `env` for a promotion of `repository`. */
export function repositoryIn(env: Environment, repository: string): string {
  return env.repository ?? repository;
}

// ---- limits of durations ----------------------------------------------------------------------------

/** Keys whose values are durations (in any environment, gate or freeze window). */
const DURATION_KEYS = new Set(['timeout', 'pollInterval', 'expiry', 'soak', 'duration']);

/**
 * Durations outside what the workflow can wait for (MAX_DURATION) and poll intervals under
 * MIN_POLL_INTERVAL, one line per field. Separate from the schema because the workflow must still accept
 * inputs of promotions started before these limits existed (it checks them behind `patched()`).
 */
export function durationLimitProblems(p: Pipeline): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else if (
      typeof v === 'string' &&
      DURATION_KEYS.has(String(path[path.length - 1])) &&
      DURATION_PATTERN.test(v)
    ) {
      const ms = durationMs(v);
      const key = path[path.length - 1];
      if (ms > MAX_DURATION_MS)
        out.push(
          `${formatPath(path)}: "${v}" is longer than the longest wait harbor-promote allows (${MAX_DURATION}, about 10 years; Temporal timers end at about 100 years); give a shorter duration`,
        );
      else if (key === 'pollInterval' && ms < MIN_POLL_INTERVAL_MS)
        out.push(
          `${formatPath(path)}: "${v}" is under the shortest poll interval of ${MIN_POLL_INTERVAL}; give ${MIN_POLL_INTERVAL} or more (e.g. "15s")`,
        );
    }
  };
  walk(p, []);
  return out;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
  return out || '(top level)';
}
