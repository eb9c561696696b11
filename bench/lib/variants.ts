/**
 * Worker variants the parked section can measure side by side in one run (BENCH_PARKED_WORKERS), so a
 * change is shown as a ratio on the same machine at the same moment:
 *   shared        the worker as shipped: a prebuilt bundle (as the Docker image has), domain modules and
 *                 zod evaluated once and shared by all cached workflows (src/worker/workflow-code.ts)
 *   per-workflow  the same, but bundled without preloadModules: every cached workflow evaluates its own
 *                 copy of zod and the schemas (how the worker was before)
 *   at-start      no WORKER_WORKFLOW_BUNDLE: the worker bundles at start (`npm run worker`), in a child
 *                 process since the change
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../../src/worker/workflow-code';

export const WORKER_VARIANTS = ['shared', 'per-workflow', 'at-start'] as const;
export type WorkerVariant = (typeof WORKER_VARIANTS)[number];

export function checkVariants(names: string[]): WorkerVariant[] {
  for (const n of names)
    if (!(WORKER_VARIANTS as readonly string[]).includes(n))
      throw new Error(`BENCH_PARKED_WORKERS: unknown variant ${n}; use ${WORKER_VARIANTS.join(', ')}`);
  return names as WorkerVariant[];
}

let perWorkflow: Promise<string> | undefined;

/** Extra worker environment of a variant (the bench passes its prebuilt shared bundle by default). */
export async function variantEnv(v: WorkerVariant): Promise<Record<string, string>> {
  if (v === 'at-start') return { WORKER_WORKFLOW_BUNDLE: '' };
  if (v === 'per-workflow') {
    perWorkflow ??= bundleWorkflowCode({
      workflowsPath: workflowsPath(),
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    }).then(({ code }) => {
      const file = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'per-workflow.js');
      writeFileSync(file, code);
      return file;
    });
    return { WORKER_WORKFLOW_BUNDLE: await perWorkflow };
  }
  return {};
}
