/**
 * A worker without a prebuilt bundle builds one in a child process (src/worker/workflow-code.ts): webpack
 * in the worker's own heap left it at 389 MB RSS idle instead of 176 MB.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleInChildProcess } from '../../../src/worker/workflow-code';

test('a worker without a prebuilt bundle builds it in a child process, not in its own heap', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bundle-test-')), 'workflow-bundle.js');
  const before = process.memoryUsage().heapUsed;
  await bundleInChildProcess(out);
  const grown = process.memoryUsage().heapUsed - before;
  const code = readFileSync(out, 'utf8');
  assert.match(code, /promoteImage/, 'the bundle holds the workflow');
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
