/**
 * Parked promotions and the drain after a bulk approval (issue 13, items 2 and 3), for `npm run bench`.
 *
 * One worker process, one run: promotions are parked at the approval gate in steps (BENCH_PARKED, e.g.
 * 200,1000: first 200, then 800 more), and at each step the worker's RSS (/proc) and its heap (from inside,
 * bench/lib/heap-probe.cjs: before and after a full collection) are recorded. Then BENCH_DRAIN of them are
 * approved at once and timed until they complete; CPU of the worker and of its reaped children from
 * /proc/<pid>/stat, activities per promotion after the gate from a sample of histories. The rest are
 * terminated (what they would cost to drain is the same per promotion).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { approveUpdate } from '../src/workflows/messages';
import { stackPipeline, startPromotion, type PromotionHandle } from '../test/support/promotions';
import type { ImagePusher } from '../test/support/images';
import type { SimControl } from '../test/support/sim';
import { eventually, historyEvents, sleep } from '../test/support/temporal';
import type { WorkerProcess } from '../test/support/worker-process';
import { mb, secs, verdict, type Section } from './lib/report';
import { afterGateTimeline, describeTimeline, meanTimeline, type Timeline } from './lib/timeline';

export interface ParkedContext {
  client: Client;
  sim: SimControl;
  pusher: ImagePusher;
  /** Registry host the pipeline names. */
  host: string;
  run: string;
  log(s: string): void;
  /** The stack's own processes (Temporal server, harbor-sim): their CPU over the drain is reported too. */
  servers: { name: string; pid: number }[];
  /** Starts a worker process on a task queue of its own with these extra variables. */
  worker(name: string, extra?: Record<string, string>): Promise<WorkerProcess>;
}

export interface ParkedOptions {
  /** Parked counts to measure at, ascending (e.g. [200, 1000]). */
  sizes: number[];
  /** Promotions approved at once for the drain (≤ the largest size). */
  drain: number;
  /** Directory for heap snapshots at each size (unset: none). */
  snapshotDir?: string;
  /** Extra worker variables (a variant of the worker to compare). */
  workerEnv?: Record<string, string>;
  /** Label of the worker variant in the tables. */
  label?: string;
}

/** WORKER_MAX_CACHED_WORKFLOWS default (src/worker/config.ts); the bench does not set it. */
const CACHE = 50;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PROBE = resolve(__dirname, 'lib', 'heap-probe.cjs');

/**
 * CPU seconds of a process (utime + stime) and of its children that it has waited for (cutime + cstime),
 * from /proc/<pid>/stat: the worker reaps every cosign, skopeo and git it runs, so their CPU shows there.
 */
export function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number); // f[0] is field 3 (state)
  return { self: (f[11]! + f[12]!) / CLK_TCK, children: (f[13]! + f[14]!) / CLK_TCK };
}

interface HeapSample {
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  /** Heap used by the workflow thread(s), before and after their own full collection. */
  threads: { before: number; after: number }[];
}

/** Asks the probe in the worker for a sample (SIGUSR2) and waits for its lines (main thread and threads). */
async function heapSample(w: WorkerProcess, file: string): Promise<HeapSample> {
  const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
  const n = lines().length;
  process.kill(w.pid!, 'SIGUSR2');
  const main = await eventually(
    'heap sample from the worker',
    async () => (lines().length > n ? (JSON.parse(lines()[n]!) as Omit<HeapSample, 'threads'>) : undefined),
    120_000,
    200,
  );
  const dir = dirname(file);
  const threads = await eventually(
    'heap sample from the workflow thread',
    async () => {
      const t = readdirSync(dir)
        .filter((f) => f.startsWith(`${basename(file)}.thread-`))
        .map(
          (f) =>
            JSON.parse(readFileSync(join(dir, f), 'utf8')) as { n: number; before: number; after: number },
        );
      return t.length > 0 && t.every((x) => x.n === n + 1) ? t : undefined;
    },
    120_000,
    200,
  ).catch(() => []);
  return { ...main, threads };
}

interface SizeRow {
  parked: number;
  parkS: number;
  rss: number;
  heap: HeapSample;
}

export interface ParkedResult {
  label: string;
  idleRss: number;
  idleHeap: HeapSample;
  rows: SizeRow[];
  drain: {
    n: number;
    ms: number;
    cpu: { self: number; children: number };
    servers: { name: string; cpu: number }[];
    /** Requests harbor-sim served over the drain (REST, /v2, token), all promotions together. */
    harborRequests: number;
    /** Messages of the promotions that failed during the drain. */
    failures: string[];
    activities: Record<string, number>;
    attempts: number;
    events: number;
    /** Where a sampled promotion's time went after its approval (mean). */
    timeline: Timeline;
  };
}

export async function measureParked(ctx: ParkedContext, o: ParkedOptions): Promise<ParkedResult> {
  const { client, sim, pusher, host, log } = ctx;
  await sim.setScanDuration(0);
  const sizes = [...o.sizes].sort((a, b) => a - b);
  const label = o.label ?? 'worker';
  // One repository per promotion, as for as many services: promotions of one repository into one
  // environment take turns at its lock (concurrency: supersede), which would measure the lock, not the drain.
  const repoBase = `bench-parked-${label.replace(/[^a-z0-9]+/g, '-')}-${ctx.run}`;
  const repoOf = (i: number) => `${repoBase}-${i}`;
  const probeFile = join(mkdtempSync(join(tmpdir(), 'bench-heap-')), 'samples.jsonl');
  const w = await ctx.worker(`parked-${label}`, {
    WORKER_MAX_CONCURRENT_ACTIVITIES: '16',
    HEAP_PROBE_FILE: probeFile,
    ...(o.snapshotDir && { HEAP_PROBE_SNAPSHOT_DIR: o.snapshotDir }),
    ...o.workerEnv,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, o.workerEnv?.NODE_OPTIONS, `--require ${PROBE}`]
      .filter(Boolean)
      .join(' '),
  });
  const handles: PromotionHandle[] = [];
  try {
    // The same worker before any promotion: what parking adds is the difference.
    await sleep(3_000);
    const idleRss = w.rssBytes();
    const idleHeap = await heapSample(w, probeFile);
    const pipeline = stackPipeline({
      registry: host,
      approvalInto: ['staging'],
      stagingOnly: true,
      pollInterval: '1s',
    });
    const rows: SizeRow[] = [];
    for (const size of sizes) {
      const t = Date.now();
      const from = handles.length;
      // Started in batches: a thousand starts at once only measure the client's connection.
      for (let i = from; i < size; i += 50) {
        const batch = Array.from({ length: Math.min(50, size - i) }, (_, k) => i + k);
        await Promise.all(batch.map((n) => pusher.push('platform-dev', repoOf(n), 'v1')));
        handles.push(
          ...(await Promise.all(
            batch.map((n) =>
              startPromotion(client, w.taskQueue, { pipeline, repository: repoOf(n), reference: 'v1' }),
            ),
          )),
        );
      }
      // Counted through visibility (the PromotionStage search attribute), not a status query per
      // promotion: a query replays every evicted workflow and would measure the poll, not the parking.
      const query = `TaskQueue = '${w.taskQueue}' AND PromotionStage = 'awaiting-approval'`;
      let parked = 0;
      await eventually(
        `${size} promotions parked`,
        async () => {
          parked = (await client.workflow.count(query)).count;
          return parked >= size;
        },
        60 * 60_000,
        1_000,
      );
      const parkS = (Date.now() - t) / 1000;
      await sleep(5_000);
      const rss = w.rssBytes();
      const heap = await heapSample(w, probeFile);
      log(`parked ${label}: ${size} in ${parkS.toFixed(1)} s, RSS ${mb(rss)} MB`);
      rows.push({ parked: size, parkS, rss, heap });
    }

    const drained = handles.slice(0, Math.min(o.drain, handles.length));
    const serverCpu = () => ctx.servers.map((s) => cpuSeconds(s.pid));
    await sim.resetCounters();
    const cpu0 = cpuSeconds(w.pid!);
    const servers0 = serverCpu();
    const t2 = Date.now();
    await Promise.all(drained.map(approveOnce));
    // Every promotion ends (a failed one is counted and named, not an abort of the benchmark).
    const ends = await Promise.allSettled(drained.map((h) => h.result()));
    const ms = Date.now() - t2;
    const failures = ends.flatMap((e) =>
      e.status === 'rejected'
        ? [String((e.reason as { cause?: Error })?.cause?.message ?? e.reason).slice(0, 300)]
        : [],
    );
    const cpu1 = cpuSeconds(w.pid!);
    const servers1 = serverCpu();
    const harborRequests = Object.values(await sim.counters()).reduce((n, c) => n + (c?.requests ?? 0), 0);
    log(`drain ${label}: ${drained.length} in ${secs(ms)} s`);
    const after = await activitiesAfterGate(
      drained.filter((_, i) => ends[i]!.status === 'fulfilled').slice(0, 10),
    );
    return {
      label,
      idleRss,
      idleHeap,
      rows,
      drain: {
        n: drained.length,
        ms,
        cpu: { self: cpu1.self - cpu0.self, children: cpu1.children - cpu0.children },
        servers: ctx.servers.map((s, i) => ({
          name: s.name,
          cpu: servers1[i]!.self + servers1[i]!.children - servers0[i]!.self - servers0[i]!.children,
        })),
        harborRequests,
        failures,
        ...after,
      },
    };
  } finally {
    // The ones not drained: terminated, so the next section starts without them.
    await Promise.all(handles.map((h) => h.terminate('benchmark done').catch(() => undefined)));
    await w.stop();
  }
}

/**
 * The approval, asked again with the same update id when the RPC times out (a busy worker may take longer
 * than the RPC deadline to reach a workflow that left its cache): Temporal applies it once.
 */
async function approveOnce(h: PromotionHandle): Promise<void> {
  const updateId = `bench-approve-${h.workflowId}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await h.executeUpdate(approveUpdate, {
        args: [{ environment: 'staging', approver: 'alice', comment: 'bulk approval (benchmark)' }],
        updateId,
      });
      return;
    } catch (err) {
      if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) || attempt >= 10) throw err;
    }
  }
}

/**
 * Activities each promotion ran after its approval (ActivityTaskScheduled after the update was accepted),
 * by type, their attempts (ActivityTaskStarted.attempt: NotReady retries of a scan count here), and the
 * history length, averaged over a sample.
 */
async function activitiesAfterGate(sample: PromotionHandle[]) {
  const activities: Record<string, number> = {};
  let attempts = 0;
  let events = 0;
  const timelines: Timeline[] = [];
  for (const h of sample) {
    const ev = await historyEvents(h);
    events += ev.length;
    timelines.push(afterGateTimeline(ev));
    const gate = ev.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    for (const e of ev.slice(gate)) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name) activities[name] = (activities[name] ?? 0) + 1 / sample.length;
      if (e.activityTaskStartedEventAttributes)
        attempts += (e.activityTaskStartedEventAttributes.attempt ?? 1) / sample.length;
    }
  }
  return { activities, attempts, events: events / sample.length, timeline: meanTimeline(timelines) };
}

/** The section for docs/benchmarks.md: memory at each size and the drain, for each worker variant. */
export function parkedSection(results: ParkedResult[]): Section {
  const memRows: (string | number)[][] = [];
  const drainRows: (string | number)[][] = [];
  const verdicts: string[] = [];
  const cores = cpus().length;
  const failureNotes: string[] = [];
  for (const r of results) {
    const row = (parked: string | number, parkS: string, rss: number, h: HeapSample) => [
      r.label,
      parked,
      parkS,
      mb(rss),
      mb(h.before.heapUsed),
      mb(h.after.heapUsed),
      mb(h.after.external),
      mb(h.threads.reduce((n, t) => n + t.before, 0)),
      mb(h.threads.reduce((n, t) => n + t.after, 0)),
    ];
    memRows.push(row('idle', '', r.idleRss, r.idleHeap));
    for (const s of r.rows) memRows.push(row(s.parked, s.parkS.toFixed(1), s.rss, s.heap));
    const d = r.drain;
    const cpu = d.cpu.self + d.cpu.children;
    drainRows.push([
      r.label,
      d.n,
      secs(d.ms),
      (d.n / (d.ms / 1000)).toFixed(1),
      d.cpu.self.toFixed(1),
      d.cpu.children.toFixed(1),
      `${((cpu / d.n) * 1000).toFixed(0)} ms`,
      d.servers.map((x) => `${x.name} ${((x.cpu / d.n) * 1000).toFixed(0)} ms`).join(', '),
      `${(((cpu + d.servers.reduce((n, x) => n + x.cpu, 0)) / (d.ms / 1000) / cores) * 100).toFixed(0)}%`,
      (d.harborRequests / d.n).toFixed(1),
      Object.entries(d.activities)
        .map(([k, v]) => `${k} ${+v.toFixed(1)}`)
        .join(', '),
      d.attempts.toFixed(1),
      Math.round(d.events),
      d.failures.length,
    ]);
    failureNotes.push(`${r.label}: ${describeTimeline(d.timeline)}`);
    for (const f of [...new Set(d.failures)].slice(0, 3))
      failureNotes.push(`${r.label}: a promotion failed in the drain: ${f}`);
  }
  // The targets are the product's: the prebuilt worker (the Docker image's), whatever else was compared.
  const main = results.find((r) => r.label === 'prebuilt') ?? results[results.length - 1]!;
  const first = main.rows[0]!;
  const last = main.rows[main.rows.length - 1]!;
  verdicts.push(
    verdict(
      first.rss < 300 * 2 ** 20,
      `< 300 MB worker RSS at ${first.parked} parked`,
      `${mb(first.rss)} MB`,
    ),
  );
  if (last !== first)
    verdicts.push(
      verdict(
        last.rss <= first.rss * 1.1,
        `RSS at ${last.parked} parked within 10% of ${first.parked}`,
        `${mb(last.rss)} MB vs ${mb(first.rss)} MB, ${(((last.rss - first.rss) / first.rss) * 100).toFixed(1)}%`,
      ),
    );
  verdicts.push(
    verdict(
      main.drain.ms < 30_000 && main.drain.failures.length === 0,
      `${main.drain.n} approved in bulk drained < 30 s, none failed`,
      `${secs(main.drain.ms)} s, ${main.drain.failures.length} failed`,
    ),
  );
  return {
    notes: [...findings(results), ...failureNotes],
    title: `Promotions parked at the approval gate, and the drain after a bulk approval`,
    method: `Promotions of as many services (one image each in its own repository, so no two share an environment lock) dev → staging with an approval gate into staging, instant scans (harbor-sim scan duration 0), one worker process (maxConcurrentActivities 16, workflow cache WORKER_MAX_CACHED_WORKFLOWS default), parked in steps to ${results[0]!.rows.map((s) => s.parked).join(', then ')} in the same worker. At each step, once visibility counts them all awaiting approval and 5 s later: the worker's RSS (VmRSS from /proc) and its V8 heap (from inside the worker, bench/lib/heap-probe.cjs: the main thread's process.memoryUsage() and the workflow thread's V8 heap, each before and after a forced full collection; "external" is memory outside the heap held by JS objects, array buffers included). Then ${main.drain.n} of them are approved at once (updates in parallel) and timed until every one completed; CPU = utime+stime of the worker and of the child processes it reaped (cosign, skopeo, git) from /proc/<pid>/stat over the drain, and the same for the stack's Temporal dev server and harbor-sim (the rest of the 2 cores' work); Harbor requests from harbor-sim's counters; activities and attempts per promotion after the gate from 5 sample histories. The rest are terminated.`,
    tables: [
      {
        head: [
          'worker',
          'parked',
          'time to park s',
          'RSS MB',
          'main heap MB',
          'main heap after GC MB',
          'external MB',
          'workflow thread heap MB',
          'workflow thread heap after GC MB',
        ],
        rows: memRows,
      },
      {
        head: [
          'worker',
          'approved',
          'drain s',
          'promotions/s',
          'CPU s: worker',
          'CPU s: children',
          'CPU per promotion: worker and children',
          'CPU per promotion: stack',
          'of the cores (worker + stack)',
          'Harbor requests per promotion',
          'activities per promotion after the gate',
          'activity attempts',
          'history events',
          'failed',
        ],
        rows: drainRows,
      },
    ],
    verdicts,
  };
}

/** What the figures say, computed from them (so the text cannot go stale when the numbers change). */
function findings(results: ParkedResult[]): string[] {
  const threadAfter = (h: HeapSample) => h.threads.reduce((n, t) => n + t.after, 0);
  const threadBefore = (h: HeapSample) => h.threads.reduce((n, t) => n + t.before, 0);
  const out: string[] = [];
  for (const r of results) {
    const last = r.rows[r.rows.length - 1]!;
    const cache = Number(/^cache-(\d+)$/.exec(r.label)?.[1] ?? CACHE);
    const cached = Math.min(last.parked, cache);
    out.push(
      `${r.label}: the workflow thread holds ${mb(threadAfter(last.heap) - threadAfter(r.idleHeap))} MB more live heap at ${last.parked} parked than idle, with at most ${cache} workflows in the cache: about ${((threadAfter(last.heap) - threadAfter(r.idleHeap)) / cached / 2 ** 10).toFixed(0)} KiB per cached workflow. Before the forced collection its heap was ${mb(threadBefore(last.heap))} MB: garbage from replays (a workflow that left the cache is replayed, module evaluation included, when it wakes). The main thread's heap after collection moves ${mb(last.heap.after.heapUsed - r.idleHeap.after.heapUsed)} MB from idle: activity results and tool output are not kept.`,
    );
  }
  const a = results[0]!;
  const b = results[results.length - 1]!;
  if (a !== b) {
    a.rows.forEach((ra, i) => {
      const rb = b.rows[i];
      if (rb)
        out.push(
          `Side by side at ${ra.parked} parked: RSS ${b.label} / ${a.label} = ${(rb.rss / ra.rss).toFixed(2)} (${mb(rb.rss)} / ${mb(ra.rss)} MB); idle ${(b.idleRss / a.idleRss).toFixed(2)} (${mb(b.idleRss)} / ${mb(a.idleRss)} MB).`,
        );
    });
    out.push(
      `Drain side by side: ${b.label} / ${a.label} wall time ${(b.drain.ms / a.drain.ms).toFixed(2)}, worker CPU ${(b.drain.cpu.self / a.drain.cpu.self).toFixed(2)}.`,
    );
  }
  return out;
}
