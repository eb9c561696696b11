/**
 * `npm run bench`: four benchmarks measured side by side on a private local stack, written to
 * docs/benchmarks.md (machine, versions, date, one table per benchmark with its target verdict).
 * Not part of `npm test`. Overrides (quick run: BENCH_SIZES_MB=1,10 BENCH_RUNS=3 BENCH_PARKED=20,100 BENCH_DRAIN=20
 * BENCH_ROUNDS=1,5):
 *   BENCH_SIZES_MB   image sizes for the copy benchmark (default 10,100,1024)
 *   BENCH_COPY_RUNS  copies per size and strategy, median reported (default and minimum 3)
 *   BENCH_RUNS       promotions for the orchestration-overhead median (default 5)
 *   BENCH_PARKED     promotions parked at the approval gate, in steps, one worker (default 200,1000)
 *   BENCH_DRAIN      of those, how many are approved at once for the drain (default 200)
 *   BENCH_PARKED_WORKERS  worker variants measured one after the other in the parked section, each with
 *                    its own worker (default prebuilt; also at-start; see bench/lib/variants.ts)
 *   BENCH_HEAP_SNAPSHOTS  directory: heap snapshots of the parked worker at each step (default none)
 *   BENCH_PORT_OFFSET     moves the stack's ports (default TEST_PORT_OFFSET, else 0)
 *   BENCH_ROUNDS     scan poll rounds for the history benchmark (default 1,10,100)
 *   BENCH_SECTIONS   which to run: copy,overhead,parked,history,cluster (default all)
 *   BENCH_CLUSTER_*  the cluster section (Temporal on PostgreSQL, its own stack): bench/lib/cluster.ts
 *   BENCH_STACK_DIR  stack data directory (default .data/bench-stack; ports 3723x; emptied at the start unless
 *                    its stack is up), BENCH_KEEP_STACK=1 keeps it up
 *   BENCH_OUT        output file (default docs/benchmarks.md)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { paths, REPO_ROOT, stackConfig } from '../dev/stack/config';
import { isOurs, readPid } from '../dev/stack/processes';
import { stackDown, stackUp } from '../dev/stack/stack';
import { buildActivities } from '../src/activities/index';
import { loadWorkerConfig } from '../src/worker/config';
import { createPromoterRobot, workerCredentials } from '../test/support/accounts';
import { workflowBundle } from '../test/support/bundle';
import { childEnv, testEnv } from '../test/support/env';
import { ImagePusher } from '../test/support/images';
import { stackPipeline, startPromotion } from '../test/support/promotions';
import { bytesThrough, SimControl } from '../test/support/sim';
import { connectClient, historyEvents } from '../test/support/temporal';
import { WorkerProcess } from '../test/support/worker-process';
import { clusterBench, clusterOptions } from './lib/cluster';
import { mb, median, render, secs, verdict, type Section } from './lib/report';
import { checkVariants, variantEnv } from './lib/variants';
import { measureParked, parkedSection, type ParkedContext, type ParkedResult } from './parked';

const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d);
const OPTS = {
  BENCH_SIZES_MB: list(process.env.BENCH_SIZES_MB, [10, 100, 1024]),
  BENCH_RUNS: Number(process.env.BENCH_RUNS ?? 5),
  BENCH_COPY_RUNS: Math.max(3, Number(process.env.BENCH_COPY_RUNS ?? 3)),
  BENCH_PARKED: list(process.env.BENCH_PARKED, [200, 1000]),
  BENCH_DRAIN: Number(process.env.BENCH_DRAIN ?? 200),
  BENCH_PARKED_WORKERS: checkVariants((process.env.BENCH_PARKED_WORKERS ?? 'prebuilt').split(',')),
  BENCH_ROUNDS: list(process.env.BENCH_ROUNDS, [1, 10, 100]),
  BENCH_SECTIONS: (process.env.BENCH_SECTIONS ?? 'copy,overhead,parked,history,cluster').split(','),
};
const log = (s: string) => console.error(`bench: ${s}`);
/** Moves the bench stack's ports, like scripts/test.sh, so two checkouts can run it side by side. */
const PORT_OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? process.env.TEST_PORT_OFFSET ?? 0);

async function main(): Promise<void> {
  const t0 = Date.now();
  const config = stackConfig({
    ...process.env,
    STACK_DIR: process.env.BENCH_STACK_DIR ?? '.data/bench-stack',
    STACK_TEMPORAL_PORT: String(37233 + PORT_OFFSET),
    STACK_TEMPORAL_UI_PORT: String(38233 + PORT_OFFSET),
    STACK_REGISTRY_PORT: String(35001 + PORT_OFFSET),
    STACK_HARBOR_PORT: String(38080 + PORT_OFFSET),
    STACK_METRICS_PORT: String(39464 + PORT_OFFSET),
  });
  // Every run starts from an empty stack unless one is already up (BENCH_KEEP_STACK): harbor-sim writes its
  // whole state on each change, and Temporal's SQLite grows, so what earlier runs left would slow this one.
  const running = ['temporal', 'registry', 'harbor-sim'].some((n) => isOurs(readPid(paths(config).pids, n)));
  // Only a directory a stack made (it has pids/): BENCH_STACK_DIR might name anything.
  if (!running && existsSync(paths(config).pids)) rmSync(config.dir, { recursive: true, force: true });
  await stackUp({ config, say: log });
  const env = testEnv(config, false); // the bench stack's values, whatever the shell exported
  const client = await connectClient(env);
  const sim = new SimControl(env);
  const pusher = new ImagePusher(env);
  const RUN = Date.now().toString(36);
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const robot = await createPromoterRobot(env, `bench${RUN}`, dir, [
    'platform-dev',
    'platform-staging',
    'platform-production',
  ]);
  const creds = workerCredentials(robot);
  const host = new URL(env.HARBOR_URL!).host;
  const bundle = await workflowBundle();
  const sections: Section[] = [];
  await sim.clearFaults();

  try {
    if (OPTS.BENCH_SECTIONS.includes('copy')) sections.push(await copyBench());
    if (OPTS.BENCH_SECTIONS.includes('overhead')) sections.push(await overheadBench());
    if (OPTS.BENCH_SECTIONS.includes('parked')) sections.push(await parkedBench());
    if (OPTS.BENCH_SECTIONS.includes('history')) sections.push(await historyBench());
    if (OPTS.BENCH_SECTIONS.includes('cluster')) sections.push(await clusterBench(clusterOptions(), log));
  } catch (err) {
    // Say what failed before the clean-up: closing the connection can end the process first.
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    throw err;
  } finally {
    await sim.setScanDuration(1500).catch(() => undefined);
    await client.connection.close();
    if (process.env.BENCH_KEEP_STACK !== '1') await stackDown({ config, say: log });
  }
  const out = resolve(REPO_ROOT, process.env.BENCH_OUT ?? 'docs/benchmarks.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    render(
      sections,
      {
        ...OPTS,
        BENCH_SIZES_MB: OPTS.BENCH_SIZES_MB.join(','),
        BENCH_ROUNDS: OPTS.BENCH_ROUNDS.join(','),
        BENCH_PARKED: OPTS.BENCH_PARKED.join(','),
        BENCH_PARKED_WORKERS: OPTS.BENCH_PARKED_WORKERS.join(','),
        BENCH_SECTIONS: OPTS.BENCH_SECTIONS.join(','),
      } as never,
      (Date.now() - t0) / 1000,
    ),
  );
  log(`wrote ${out}`);

  async function copyBench(): Promise<Section> {
    const cfg = loadWorkerConfig(childEnv(env, { ...creds, WORKER_METRICS_ADDRESS: '' }));
    const acts = buildActivities(cfg.activities).activities;
    const rows: (string | number)[][] = [];
    const at: Record<string, { harbor: number; skopeo: number; harborBytes: number }> = {};
    // Both strategies copy into the same project (no auto-scan or policy difference between them); each run
    // into a repository of its own there, so no run finds blobs a previous one left.
    const DEST = 'platform-staging';
    for (const sizeMb of OPTS.BENCH_SIZES_MB) {
      log(`copy: pushing a ${sizeMb} MB image`);
      const repo = `bench-copy-${sizeMb}mb-${RUN}`;
      const img = await pusher.push('platform-dev', repo, 'v1', { payloadBytes: sizeMb * 2 ** 20 });
      const r: Record<string, number> = {};
      for (const strategy of ['harbor', 'skopeo'] as const) {
        const runs: { ms: number; in: number; out: number; bytes: number; says: number; copies: number }[] =
          [];
        for (let i = 1; i <= OPTS.BENCH_COPY_RUNS; i++) {
          await sim.resetCounters();
          const t = Date.now();
          const res = (await new MockActivityEnvironment().run(acts.copyArtifact, {
            from: { project: 'platform-dev', repository: repo, digest: img.digest },
            to: { project: DEST, repository: `${repo}-${strategy}-${i}` },
            tag: 'v1',
            strategy,
          })) as { bytesThroughWorker: number };
          const ms = Date.now() - t;
          const c = await sim.counters();
          const families = ['api', 'v2', 'copy', 'scan', 'token'] as const;
          runs.push({
            ms,
            in: families.reduce((n, f) => n + (c[f]?.bytesIn ?? 0), 0),
            out: families.reduce((n, f) => n + (c[f]?.bytesOut ?? 0), 0),
            bytes: bytesThrough(c),
            says: res.bytesThroughWorker,
            copies: c.copy?.requests ?? 0,
          });
          log(`copy: ${sizeMb} MB ${strategy} run ${i}: ${ms} ms, ${bytesThrough(c)} bytes`);
        }
        const mid = (k: keyof (typeof runs)[number]) => median(runs.map((x) => x[k]));
        r[strategy] = mid('ms');
        r[`${strategy}Bytes`] = mid('bytes');
        rows.push([
          `${sizeMb} MB`,
          strategy,
          runs.length,
          secs(mid('ms')),
          `${secs(Math.min(...runs.map((x) => x.ms)))}–${secs(Math.max(...runs.map((x) => x.ms)))}`,
          mb(mid('in')),
          mb(mid('out')),
          mb(mid('says')),
          mid('copies'),
        ]);
      }
      at[sizeMb] = { harbor: r.harbor!, skopeo: r.skopeo!, harborBytes: r.harborBytes! };
    }
    const sizes = OPTS.BENCH_SIZES_MB;
    const big = at[sizes[sizes.length - 1]!]!;
    const small = at[sizes[0]!]!;
    const ratio = big.skopeo / big.harbor;
    const flat = big.harbor <= Math.max(3 * small.harbor, small.harbor + 1000);
    return {
      title: 'Copy: strategy harbor vs skopeo',
      method: `copyArtifact run in-process (the worker's activity code) from platform-dev to ${DEST} for both strategies, ${OPTS.BENCH_COPY_RUNS} runs per size and strategy, each into a fresh repository; the table shows the median run (and the range of wall times). Wall time of the activity; MB in / out = bytes harbor-sim read from / wrote to the sockets of the worker process and its children (REST, /v2, copy, token), from the sim's counters (socket bytesRead / bytesWritten, so request bodies are counted, streamed chunked uploads included, and so are headers); "activity says" is CopyResult.bytesThroughWorker. For skopeo, MB in is the upload and MB out the download: both directions are counted, neither is estimated.`,
      tables: [
        {
          head: [
            'image',
            'strategy',
            'runs',
            'wall s (median)',
            'wall s (range)',
            'MB in (sim)',
            'MB out (sim)',
            'MB (activity says)',
            'copy requests',
          ],
          rows,
        },
      ],
      verdicts: [
        verdict(
          flat,
          'harbor copy time flat in image size',
          `median ${secs(small.harbor)} s at ${sizes[0]} MB, ${secs(big.harbor)} s at ${sizes[sizes.length - 1]} MB`,
        ),
        verdict(
          ratio >= 10,
          `harbor ≥ 10× faster than skopeo at ${sizes[sizes.length - 1]} MB`,
          `${ratio.toFixed(1)}× (medians)`,
        ),
        verdict(
          big.harborBytes < 2 ** 20,
          'harbor: < 1 MB through the worker (in + out)',
          `${mb(big.harborBytes)} MB`,
        ),
      ],
    };
  }

  async function worker(name: string, extra: Record<string, string> = {}) {
    const w = new WorkerProcess({
      env,
      name,
      taskQueue: `bench-${name}-${RUN}`,
      extraEnv: { ...creds, WORKER_WORKFLOW_BUNDLE: bundle, ...extra },
    });
    await w.start(client);
    return w;
  }

  async function overheadBench(): Promise<Section> {
    await sim.setScanDuration(0);
    const w = await worker('overhead');
    const rows: (string | number)[][] = [];
    const walls: number[] = [];
    const overheads: number[] = [];
    const counts: number[] = [];
    try {
      for (let i = 0; i < OPTS.BENCH_RUNS; i++) {
        const repo = `bench-e2e-${RUN}`;
        const tag = `r${i}`;
        await pusher.push('platform-dev', repo, tag);
        await sim.completeScans();
        const t = Date.now();
        const h = await startPromotion(client, w.taskQueue, {
          pipeline: stackPipeline({ registry: host, pollInterval: '1s' }),
          repository: repo,
          reference: tag,
        });
        await h.result();
        const wall = Date.now() - t;
        const events = await historyEvents(h);
        // Time inside activities (started → completed), the rest is orchestration.
        const started = new Map<string, number>();
        let inActivities = 0;
        for (const e of events) {
          const ts = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
          if (e.activityTaskStartedEventAttributes)
            started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), ts);
          if (e.activityTaskCompletedEventAttributes)
            inActivities +=
              ts - (started.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? ts);
        }
        walls.push(wall);
        overheads.push(wall - inActivities);
        counts.push(events.length);
        rows.push([i + 1, secs(wall), secs(inActivities), secs(wall - inActivities), events.length]);
      }
    } finally {
      await w.stop();
    }
    const mo = median(overheads);
    const me = median(counts);
    rows.push(['median', secs(median(walls)), '', secs(mo), me]);
    return {
      title: 'End-to-end orchestration overhead',
      method: `${OPTS.BENCH_RUNS} promotions dev → staging → production in a row (one worker process, instant scans: harbor-sim scan duration 0, no approval or verification gates, harbor copy). Overhead = wall time from start to result minus the time spent inside activities (ActivityTaskStarted → Completed in the history).`,
      tables: [{ head: ['run', 'wall s', 'in activities s', 'overhead s', 'history events'], rows }],
      verdicts: [
        verdict(mo < 3000, 'overhead < 3 s', `${secs(mo)} s median`),
        verdict(me < 150, '< 150 history events per promotion', `${me}`),
      ],
    };
  }

  async function parkedBench(): Promise<Section> {
    const servers = ['temporal', 'harbor-sim'].flatMap((name) => {
      const rec = readPid(paths(config).pids, name);
      return rec ? [{ name, pid: rec.pid }] : [];
    });
    const ctx: ParkedContext = { client, sim, pusher, host, run: RUN, log, worker, servers };
    const results: ParkedResult[] = [];
    for (const v of OPTS.BENCH_PARKED_WORKERS)
      results.push(
        await measureParked(ctx, {
          sizes: OPTS.BENCH_PARKED,
          drain: OPTS.BENCH_DRAIN,
          label: v,
          workerEnv: variantEnv(v),
          ...(process.env.BENCH_HEAP_SNAPSHOTS && { snapshotDir: process.env.BENCH_HEAP_SNAPSHOTS }),
        }),
      );
    return parkedSection(results);
  }

  async function historyBench(): Promise<Section> {
    const poll = 1_000; // the shortest poll interval a pipeline accepts
    const w = await worker('history');
    const rows: (string | number)[][] = [];
    const counts: number[] = [];
    try {
      for (const rounds of OPTS.BENCH_ROUNDS) {
        await sim.setScanDuration(rounds * poll);
        const repo = `bench-history-${RUN}`;
        const tag = `rounds${rounds}`;
        await pusher.push('platform-dev', repo, tag);
        const t = Date.now();
        const h = await startPromotion(client, w.taskQueue, {
          pipeline: stackPipeline({ registry: host, pollInterval: `${poll}ms`, stagingOnly: true }),
          repository: repo,
          reference: tag,
        });
        await h.result();
        const ev = await historyEvents(h);
        // Side-by-side activities complete in one workflow task or two, by chance: counted apart.
        const tasks = ev.filter(
          (e) =>
            e.workflowTaskScheduledEventAttributes ??
            e.workflowTaskStartedEventAttributes ??
            e.workflowTaskCompletedEventAttributes,
        ).length;
        counts.push(ev.length - tasks);
        rows.push([
          rounds,
          `${(rounds * poll) / 1000} s`,
          secs(Date.now() - t),
          ev.length,
          ev.length - tasks,
        ]);
      }
    } finally {
      await w.stop();
    }
    const flat = Math.max(...counts) === Math.min(...counts);
    return {
      title: 'History events as scans get longer',
      method: `One promotion dev → staging per row; harbor-sim's scan takes rounds × ${poll} ms and the pipeline polls every ${poll} ms, so each of the two scan waits (dev, staging rescan) spans that many poll rounds.`,
      tables: [
        {
          head: [
            'poll rounds',
            'scan duration',
            'promotion wall s',
            'history events',
            'events other than workflow tasks',
          ],
          rows,
        },
      ],
      verdicts: [
        verdict(
          flat,
          'history flat as scans lengthen (events other than workflow tasks, which two side-by-side activities may add by finishing apart)',
          counts.join(' → '),
        ),
      ],
    };
  }
}

main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
