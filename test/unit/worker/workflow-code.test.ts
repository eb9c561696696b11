/**
 * The workflow bundle's memory per cached workflow: with the reusable V8 context every cached workflow
 * evaluates its own copy of each module, except the preloaded ones, which all workflows share. These tests
 * hold the bundle to what src/worker/workflow-code.ts promises: every domain module (and zod through
 * them) is shared, nothing shared reaches Temporal's workflow API (which keeps per-workflow state), and a
 * worker without a prebuilt bundle builds one in a child process, not in its own heap.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { bundleInChildProcess, workflowBundleOptions } from '../../../src/worker/workflow-code';

/** Module id → the ids it requires, from webpack's output (`/***\/ "id"` headers, __webpack_require__ calls). */
function moduleGraph(code: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const heads = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)];
  heads.forEach((h, i) => {
    const body = code.slice(h.index, heads[i + 1]?.index ?? code.length);
    graph.set(h[1]!, requires(body));
  });
  return graph;
}
const requires = (text: string) =>
  [...text.matchAll(/__webpack_require__\((?:\s*\/\*.*?\*\/)*\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!);

function preloaded(code: string): Set<string> {
  const start = code.indexOf('exports.preloadModules = function preloadModules()');
  assert.ok(start >= 0, 'the bundle has a preloadModules function');
  const body = code.slice(start, code.indexOf('\n}', start));
  const graph = moduleGraph(code);
  const seen = new Set<string>();
  const todo = requires(body);
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(graph.get(id) ?? []));
  }
  return seen;
}

const quiet = new DefaultLogger('WARN');

test('every domain module in the workflow bundle, and zod, is evaluated once and shared', async () => {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quiet });
  const shared = preloaded(code);
  const domain = [...moduleGraph(code).keys()].filter((id) => id.includes('/src/domain/'));
  assert.ok(domain.length >= 5, `domain modules found in the bundle: ${domain.join(', ')}`);
  for (const id of domain) assert.ok(shared.has(id), `${id} is shared (listed in SHARED_WORKFLOW_MODULES)`);
  assert.ok(
    [...shared].some((id) => /node_modules\/zod\//.test(id)),
    'zod is shared through the domain modules',
  );
  const temporal = [...shared].filter((id) => id.includes('@temporalio'));
  assert.deepEqual(temporal, [], 'nothing shared reaches a Temporal module (per-workflow state)');
  const ours = [...shared].filter((id) => id.includes('/src/') && !id.includes('/src/domain/'));
  assert.deepEqual(ours, [], 'only src/domain is shared, never workflow code');
});

test('a worker without a prebuilt bundle builds it in a child process, not in its own heap', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bundle-test-')), 'workflow-bundle.js');
  const before = process.memoryUsage().heapUsed;
  await bundleInChildProcess(out);
  const grown = process.memoryUsage().heapUsed - before;
  const code = readFileSync(out, 'utf8');
  assert.match(code, /promoteImage/, 'the bundle holds the workflow');
  assert.ok(preloaded(code).size > 0, 'built with the shared modules');
  // webpack in-process grows the heap by well over 100 MB; the child's memory is not ours.
  assert.ok(grown < 30 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(0)} MB while bundling`);
});

test('a bundling failure names the cause', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'bundle-test-')), 'a-file');
  writeFileSync(file, '');
  await assert.rejects(
    bundleInChildProcess(join(file, 'bundle.js')), // its "directory" is a file
    /bundling the workflow code failed \(exit 1\): bundle: EEXIST: file already exists, mkdir/,
  );
});
