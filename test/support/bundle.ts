/**
 * One workflow bundle per suite run, given to every worker process it starts (WORKER_WORKFLOW_BUNDLE).
 * A restarted worker then runs exactly the code the promotion started with (as a deployed worker image
 * would; bundling src/workflows again could pick up an edit made meanwhile and break replay), and a
 * restart takes a second instead of a webpack run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT } from '../../dev/stack/config';

let cached: Promise<string> | undefined;

export function workflowBundle(): Promise<string> {
  cached ??= (async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve(REPO_ROOT, 'src/workflows/index.ts'),
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'workflow-bundle-')), 'workflow-bundle.js');
    writeFileSync(file, code);
    return file;
  })();
  return cached;
}
