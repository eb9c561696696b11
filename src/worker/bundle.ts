/**
 * Prebuilds the workflow bundle (webpack) so a production worker starts without bundling:
 *   tsx src/worker/bundle.ts dist/workflow-bundle.js
 * then run the worker with WORKER_WORKFLOW_BUNDLE=dist/workflow-bundle.js (the Dockerfile does both).
 * The bundle must be used with the same @temporalio/worker version that built it (1.24.0 here).
 * A worker started without WORKER_WORKFLOW_BUNDLE runs this in a child process (workflow-code.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from './workflow-code.js';

async function main(out: string | undefined): Promise<number> {
  if (!out) {
    console.error('usage: tsx src/worker/bundle.ts OUTPUT.js');
    return 2;
  }
  const { code } = await bundleWorkflowCode(workflowBundleOptions());
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, code);
  console.error(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB)`);
  return 0;
}

main(process.argv[2]).then(
  (c) => process.exit(c),
  (err: unknown) => {
    console.error(`bundle: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
