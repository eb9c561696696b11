/**
 * One workflow bundle per suite run, given to every worker process it starts (WORKER_WORKFLOW_BUNDLE).
 * A restarted worker then runs exactly the code the promotion started with (as a deployed worker image
 * would; bundling src/workflows again could pick up an edit made meanwhile and break replay), and a
 * restart takes a second instead of a webpack run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/worker/workflow-code';

let cached: Promise<string> | undefined;

export function workflowBundle(): Promise<string> {
  cached ??= (async () => {
    const { code } = await bundleWorkflowCode({
      ...workflowBundleOptions(),
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'workflow-bundle-')), 'workflow-bundle.js');
    writeFileSync(file, code);
    return file;
  })();
  return cached;
}
