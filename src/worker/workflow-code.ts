/**
 * How the workflow code is bundled, the same for the Docker image's prebuilt bundle (bundle.ts), a worker
 * started without one, and the tests.
 *
 * Every cached workflow evaluates its own copy of each module it imports (the SDK's reusable V8 context
 * keeps one module cache per workflow), so the workflow code imports no zod: the domain rules it uses live
 * in zod-free src/domain/*-rules.ts, and the worker checks a new workflow's input in an activity
 * (src/workflows/input-check.ts). That took a new promotion from about 1.2 MB of heap to about 0.15 MB
 * (bench/workflow-heap.ts); test/unit/workflows/sandbox-modules.test.ts keeps it so. zod is still in the
 * bundle, required lazily, for histories recorded before the input check moved (and for reading a signed
 * approval statement, approvals.ts).
 *
 * Preloading zod instead (bundlerOptions.preloadModules, one shared copy) does not work: the SDK
 * deep-freezes preloaded modules, and zod writes to its objects after creation (members materialize on
 * first use, `util.allowsEval` caches), so a shared zod fails in the workflow with "Cannot define property
 * safeParse, object is not extensible".
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
