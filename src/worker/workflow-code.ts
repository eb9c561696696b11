/**
 * How the workflow code is bundled, the same for the Docker image's prebuilt bundle (bundle.ts), a worker
 * started without one, and the tests.
 *
 * Memory: with the reusable V8 context (the SDK default) every workflow in the worker's cache evaluates
 * its own copy of each module in the bundle, so module-level objects are paid once per cached workflow.
 * zod (about 40% of the bundle) and the pipeline and promotion schemas built from it at module load were
 * most of that. They hold no per-workflow state (src/domain is pure: eslint keeps Temporal, Node I/O and
 * anything else out of it), so they are preloaded once and shared by every workflow.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SRC = join(__dirname, '..');

/** src/workflows/index.ts through tsx, or the compiled .js next to it. */
export function workflowsPath(): string {
  for (const name of ['index.ts', 'index.js']) {
    const p = join(SRC, 'workflows', name);
    if (existsSync(p)) return p;
  }
  throw new Error(`no workflow code in ${join(SRC, 'workflows')}; set WORKER_WORKFLOW_BUNDLE`);
}

/**
 * Modules evaluated once and shared by all workflows (bundlerOptions.preloadModules): the domain modules
 * the workflows import, with what they import in turn (only src/domain and zod; zod is not listed itself,
 * webpack drops a bare import of a package marked free of side effects). Never a module that keeps state
 * for one workflow or imports @temporalio/workflow.
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  ...['pipeline', 'promotion', 'quarantine', 'scan-policy', 'failures', 'duration', 'image-ref'].map((m) =>
    join(SRC, 'domain', m),
  ),
];

/** Options for bundleWorkflowCode (and Worker.create's bundlerOptions). */
export function workflowBundleOptions(): { workflowsPath: string; preloadModules: string[] } {
  return { workflowsPath: workflowsPath(), preloadModules: [...SHARED_WORKFLOW_MODULES] };
}

/**
 * Bundles the workflow code into `out` in a child process (bundle.ts), for a worker started without
 * WORKER_WORKFLOW_BUNDLE. Webpack in the worker itself grew its heap by about 200 MB that V8 never gave
 * back (389 MB RSS idle, against 176 MB with a prebuilt bundle); the child's memory goes when it exits.
 */
export function bundleInChildProcess(out: string): Promise<void> {
  const script = ['bundle.ts', 'bundle.js'].map((f) => join(__dirname, f)).find((f) => existsSync(f));
  if (!script) return Promise.reject(new Error(`no bundle script in ${__dirname}`));
  return new Promise((resolve, reject) => {
    // execArgv carries tsx's loader when the worker runs through it.
    const child = spawn(process.execPath, [...process.execArgv, script, out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      // The last line is bundle.ts's own error; webpack's statistics come before it.
      const last = stderr.trim().split('\n').pop() ?? '';
      reject(new Error(`bundling the workflow code failed (${signal ?? `exit ${code}`}): ${last}`));
    });
  });
}
