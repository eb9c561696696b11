/**
 * Worker variants the parked section can measure one after the other in one run (BENCH_PARKED_WORKERS):
 *   prebuilt   the worker as the Docker image runs it: WORKER_WORKFLOW_BUNDLE set to a prebuilt bundle, with
 *              its memory settings (src/worker/memory.ts: 2 MB semi-spaces, MALLOC_ARENA_MAX=2)
 *   node-defaults  prebuilt, with node's and glibc's defaults instead (16 MB semi-spaces, one malloc arena
 *              per thread): what the memory settings save
 *   at-start   no WORKER_WORKFLOW_BUNDLE (`npm run worker`): the worker bundles at start, since the change
 *              in a child process (src/worker/workflow-code.ts), before it in its own heap
 *   cache-N    prebuilt, with WORKER_MAX_CACHED_WORKFLOWS=N instead of the default (memory vs. replays)
 *   semi-N     prebuilt, node --max-semi-space-size=N (MB): V8's young generation per isolate
 *   arenas-N   prebuilt, MALLOC_ARENA_MAX=N: glibc's malloc arenas (native memory of the SDK's threads)
 * Variants combine with "+", e.g. cache-400+semi-2.
 */
export const WORKER_VARIANTS = [
  'prebuilt',
  'node-defaults',
  'at-start',
  'cache-N',
  'semi-N',
  'arenas-N',
] as const;
export type WorkerVariant = string;

const PART = /^(prebuilt|node-defaults|at-start|cache-\d+|semi-\d+|arenas-\d+)$/;

export function checkVariants(names: string[]): WorkerVariant[] {
  for (const n of names)
    if (!n.split('+').every((p) => PART.test(p)))
      throw new Error(
        `BENCH_PARKED_WORKERS: unknown variant ${n}; use ${WORKER_VARIANTS.join(', ')} (joined with +)`,
      );
  return names;
}

/**
 * Extra worker environment of a variant (the bench passes its prebuilt bundle otherwise). NODE_OPTIONS
 * here is added to the bench's own (its heap probe), not put in its place.
 */
export function variantEnv(v: WorkerVariant): Record<string, string> {
  const env: Record<string, string> = {};
  for (const part of v.split('+')) {
    if (part === 'at-start') env.WORKER_WORKFLOW_BUNDLE = '';
    if (part === 'node-defaults') {
      env.NODE_OPTIONS = '--max-semi-space-size=16'; // node 20's own maximum on 64-bit
      env.MALLOC_ARENA_MAX = ''; // unset: glibc's default, 8 arenas per core
    }
    const [, kind, n] = /^(cache|semi|arenas)-(\d+)$/.exec(part) ?? [];
    if (kind === 'cache') env.WORKER_MAX_CACHED_WORKFLOWS = n!;
    if (kind === 'semi') env.NODE_OPTIONS = `--max-semi-space-size=${n}`;
    if (kind === 'arenas') env.MALLOC_ARENA_MAX = n!;
  }
  return env;
}
