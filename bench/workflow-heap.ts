/**
 * Heap per cached workflow (tracker issue 13, item 2), old and new side by side in one process:
 *
 *   node --expose-gc --import tsx bench/workflow-heap.ts [N] [other/src/workflows/index.ts]
 *
 * Creates N promotions in the SDK's reusable V8 context (test/support/workflow-vm.ts, what a worker runs
 * with reuseV8Context), each run up to its first Harbor activity and kept (as the worker's cache keeps
 * it), and reports the heap they hold after a full collection and the time to create and run each:
 * - `new`: a promotion started on this version (the worker checks its input; no zod in the sandbox);
 * - `replay`: one whose history predates the input-check marker (the check runs in the sandbox, zod
 *   loaded lazily), as every promotion did before this version;
 * - with a second workflowsPath (e.g. a checkout of the previous version): its promotions, fresh.
 * Not a timed test: a figure for docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { inputCheckActivities } from '../src/activities/input-check';
import { bundle, WorkflowVm } from '../test/support/workflow-vm';
import { input, testPipeline } from '../test/workflows/helpers';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const used = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

async function measure(
  workflowsPath: string,
  n: number,
  mode: 'new' | 'replay' | 'fresh',
): Promise<{ bytes: number; ms: number }> {
  const vm = await WorkflowVm.create(await bundle(workflowsPath), Object.keys(inputCheckActivities()));
  const raw = input(testPipeline());
  const checked = await inputCheckActivities().checkPromotionInput(raw);
  // One first, so what every workflow shares (the context, the SDK's own modules) is not counted.
  await vm.start('promoteImage', raw, { replaying: mode === 'replay' });
  const before = used();
  const kept = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { workflow, commands } = await vm.start('promoteImage', raw, { replaying: mode === 'replay' });
    if (mode === 'new') await workflow.resolveActivity(1, checked);
    else if (!commands.some((c) => c.scheduleActivity)) throw new Error(`${mode}: no activity scheduled`);
    kept.push(workflow);
  }
  const ms = (performance.now() - t0) / n;
  const bytes = (used() - before) / n;
  for (const w of kept) await w.dispose();
  await vm.destroy();
  return { bytes, ms };
}

async function main() {
  const n = Number(process.argv[2] ?? 50);
  const here = resolve(__dirname, '../src/workflows/index.ts');
  const other = process.argv[3];
  const rows: [string, { bytes: number; ms: number }][] = [
    ['this version, new promotion (input checked by the worker)', await measure(here, n, 'new')],
    ['this version, history from before (input checked in the sandbox)', await measure(here, n, 'replay')],
  ];
  if (other) rows.push([`${other}, new promotion`, await measure(resolve(other), n, 'fresh')]);
  for (const [name, { bytes, ms }] of rows)
    console.log(
      `${(bytes / 1024).toFixed(0).padStart(6)} KiB/workflow ${ms.toFixed(1).padStart(6)} ms to create and run  ${name}`,
    );
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
