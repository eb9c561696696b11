/**
 * Prebuilds the workflow bundle (webpack) so a production worker starts without bundling:
 *   tsx src/worker/bundle.ts dist/workflow-bundle.js
 * then run the worker with WORKER_WORKFLOW_BUNDLE=dist/workflow-bundle.js (the Dockerfile does both).
 * The bundle must be used with the same @temporalio/worker version that built it (1.24.0 here).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(out: string | undefined): Promise<number> {
  if (!out) {
    console.error('usage: tsx src/worker/bundle.ts OUTPUT.js');
    return 2;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'),
  });
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
