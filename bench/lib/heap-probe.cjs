/**
 * Loaded into the benchmark's worker process with `node --require` (NODE_OPTIONS), so the worker itself
 * is unchanged: this only measures it from inside, which /proc cannot (V8 heap vs. the rest of the RSS).
 * On SIGUSR2 the main thread appends one JSON line to HEAP_PROBE_FILE: process.memoryUsage() before and
 * after a full collection. The SDK runs workflows in a worker thread (its own V8 heap, invisible to the
 * main thread's memoryUsage), where this file is preloaded too: there it watches HEAP_PROBE_FILE.req and
 * writes its own before/after to HEAP_PROBE_FILE.thread-<id>. With HEAP_PROBE_SNAPSHOT_DIR set, each
 * sample also writes heap snapshots (main thread and workflow thread) for a closer look.
 */
const { appendFileSync, existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { isMainThread, threadId } = require('node:worker_threads');
const { setInterval } = require('node:timers');

const file = process.env.HEAP_PROBE_FILE;
const snapshots = process.env.HEAP_PROBE_SNAPSHOT_DIR;
if (file) {
  // gc() without starting the worker with --expose-gc (NODE_OPTIONS does not take V8 flags).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const snap = (name) => (snapshots ? v8.writeHeapSnapshot(join(snapshots, name)) : undefined);
  if (isMainThread) {
    let n = 0;
    process.on('SIGUSR2', () => {
      n++;
      writeFileSync(`${file}.req`, String(n));
      const before = process.memoryUsage();
      gc();
      const after = process.memoryUsage();
      const snapshot = snap(`main-${process.pid}-${n}.heapsnapshot`);
      appendFileSync(file, JSON.stringify({ n, at: Date.now(), before, after, snapshot }) + '\n');
    });
  } else {
    let seen = 0;
    setInterval(() => {
      if (!existsSync(`${file}.req`)) return;
      const n = Number(readFileSync(`${file}.req`, 'utf8'));
      if (n === seen) return;
      seen = n;
      const before = v8.getHeapStatistics();
      gc();
      const after = v8.getHeapStatistics();
      const snapshot = snap(`thread-${process.pid}-${threadId}-${n}.heapsnapshot`);
      writeFileSync(
        `${file}.thread-${threadId}`,
        JSON.stringify({ n, threadId, before: before.used_heap_size, after: after.used_heap_size, snapshot }),
      );
    }, 250).unref();
  }
}
