/**
 * The worker's memory settings (src/worker/memory.ts) reach the isolate that matters: the SDK creates the
 * workflow thread after start-up, so a V8 flag set at run time must apply to that thread's young generation.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyYoungGeneration, SEMI_SPACE_MB, WORKER_PROCESS_ENV } from '../../../src/worker/memory';

const ROOT = join(__dirname, '..', '..', '..');

/** Largest new space a worker thread reached while making garbage, in MB, in a fresh node process. */
function threadNewSpaceMb(nodeArgs: string[], apply: boolean): number {
  const script = `
    const { Worker } = require('node:worker_threads');
    ${apply ? `require(${JSON.stringify(join(ROOT, 'src/worker/memory.ts'))}).applyYoungGeneration();` : ''}
    const w = new Worker(\`
      const v8 = require('node:v8');
      let max = 0, keep;
      for (let i = 0; i < 400; i++) {
        keep = Array.from({ length: 20000 }, (_, k) => ({ k, s: 'x' + k }));
        const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
        max = Math.max(max, ns.space_size);
      }
      require('node:worker_threads').parentPort.postMessage(max);
    \`, { eval: true });
    w.on('message', (m) => { console.log(m); process.exit(0); });
  `;
  const out = execFileSync(process.execPath, [...nodeArgs, '--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out.trim()) / 2 ** 20;
}

test('the young generation set at run time applies to a worker thread created afterwards', () => {
  const tuned = threadNewSpaceMb([], true);
  const untuned = threadNewSpaceMb([], false);
  const operators = threadNewSpaceMb(['--max-semi-space-size=16'], true); // applyYoungGeneration leaves it
  assert.ok(
    tuned <= 2 * SEMI_SPACE_MB + 0.5,
    `new space ${tuned.toFixed(1)} MB with ${SEMI_SPACE_MB} MB semi-spaces`,
  );
  assert.ok(untuned > 2 * tuned, `without it: new space ${untuned.toFixed(1)} MB`);
  assert.ok(operators > 2 * tuned, `the operator's 16 MB: new space ${operators.toFixed(1)} MB`);
});

test("an operator's own --max-semi-space-size is kept", () => {
  assert.equal(applyYoungGeneration(['--max-semi-space-size=8'], ''), 'young generation: as given to node');
  assert.equal(applyYoungGeneration([], '--max-semi-space-size=8'), 'young generation: as given to node');
});

test('every way of starting the worker sets MALLOC_ARENA_MAX (it must be in the environment at exec)', () => {
  const n = WORKER_PROCESS_ENV.MALLOC_ARENA_MAX;
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, new RegExp(`MALLOC_ARENA_MAX=${n}\\b`));
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  assert.match(scripts.worker!, new RegExp(`MALLOC_ARENA_MAX=\\$\\{MALLOC_ARENA_MAX:-${n}\\}`));
});
