/**
 * How the worker keeps its memory down (tracker issue 13: RSS flat in the number of parked promotions).
 * Measured side by side with 200 parked promotions (docs/benchmarks.md, the parked section's variants):
 *
 * - A small young generation. Almost everything the workflow thread allocates is garbage within one
 *   activation (a replay, a status query), so V8's default semi-space (16 MB per isolate, grown under load)
 *   only holds garbage longer. `--max-semi-space-size=2` is set before the SDK creates the workflow
 *   thread's isolate, unless the operator chose a size (NODE_OPTIONS or node's command line).
 * - Fewer malloc arenas. glibc gives each thread that allocates its own 64 MB arena; the SDK's Rust core
 *   runs a thread pool, and arenas fragment. MALLOC_ARENA_MAX must be in the environment before the process
 *   starts, so the places that start a worker set it: the Dockerfile, `npm run worker`, and the test and
 *   benchmark harness (WORKER_PROCESS_ENV).
 */
import { setFlagsFromString } from 'node:v8';

export const SEMI_SPACE_MB = 2;

/** Environment a worker process should be started with (unless the operator set these). */
export const WORKER_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** Applies the young-generation size in this process; returns what it did, for the start-up log. */
export function applyYoungGeneration(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string {
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a.startsWith('--max-semi-space-size')))
    return 'young generation: as given to node';
  setFlagsFromString(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  return `young generation: ${SEMI_SPACE_MB} MB semi-spaces`;
}
