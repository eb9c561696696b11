/**
 * How the workflow code is bundled, the same for the Docker image's prebuilt bundle (bundle.ts), a worker
 * started without one, and the tests.
 *
 * No module is preloaded (bundlerOptions.preloadModules) although every cached workflow evaluates its own
 * copy of zod and the schemas (about 1.1 MB of live heap per cached workflow, docs/benchmarks.md): the SDK
 * deep-freezes preloaded modules, and zod writes to its objects after creation (members materialize on
 * first use, `util.allowsEval` caches), so a shared zod fails in the workflow with "Cannot define property
 * safeParse, object is not extensible". WORKER_MAX_CACHED_WORKFLOWS bounds that cost instead.
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

/** Options for bundleWorkflowCode. */
export function workflowBundleOptions(): { workflowsPath: string } {
  return { workflowsPath: workflowsPath() };
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
