/**
 * Worker variants the parked section can measure one after the other in one run (BENCH_PARKED_WORKERS):
 *   prebuilt   the worker as the Docker image runs it: WORKER_WORKFLOW_BUNDLE set to a prebuilt bundle
 *   at-start   no WORKER_WORKFLOW_BUNDLE (`npm run worker`): the worker bundles at start, since the change
 *              in a child process (src/worker/workflow-code.ts), before it in its own heap
 *   cache-N    prebuilt, with WORKER_MAX_CACHED_WORKFLOWS=N instead of the default 50 (memory vs. replays)
 */
export const WORKER_VARIANTS = ['prebuilt', 'at-start', 'cache-N'] as const;
export type WorkerVariant = string;

export function checkVariants(names: string[]): WorkerVariant[] {
  for (const n of names)
    if (!['prebuilt', 'at-start'].includes(n) && !/^cache-\d+$/.test(n))
      throw new Error(`BENCH_PARKED_WORKERS: unknown variant ${n}; use ${WORKER_VARIANTS.join(', ')}`);
  return names;
}

/** Extra worker environment of a variant (the bench passes its prebuilt bundle otherwise). */
export function variantEnv(v: WorkerVariant): Record<string, string> {
  if (v === 'at-start') return { WORKER_WORKFLOW_BUNDLE: '' };
  const cache = /^cache-(\d+)$/.exec(v)?.[1];
  return cache ? { WORKER_MAX_CACHED_WORKFLOWS: cache } : {};
}
