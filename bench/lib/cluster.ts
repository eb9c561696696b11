/**
 * `npm run bench` section "cluster": harbor-promote on a real Temporal cluster, temporal-server v1.29.1 on
 * PostgreSQL (`npm run stack -- up --temporal postgres`, a stack of its own beside the bench's dev-server
 * stack). It measures what a user needs to size a deployment:
 *
 *   - promotions per minute with 1 and with 2 worker processes (a batch started at once, dev → staging →
 *     production with an overlay commit per environment, instant scans);
 *   - per promotion: history events, Temporal actions, bytes of history;
 *   - two workers draining a batch parked at the production approval, one killed (SIGKILL, its whole
 *     process group) mid-drain: every promotion completes with one signature per project and one overlay
 *     commit per environment.
 *
 * Actions are counted two ways. (1) The server's own Prometheus counter `action` (namespace "default",
 * by `action_type`), the counter Temporal's server emits for exactly the operations Temporal Cloud bills
 * (common/rpc/interceptor/telemetry.go): a workflow start, each command that schedules an activity, starts
 * a timer or a child workflow (2), signals another workflow, upserts search attributes or modifies
 * properties; each signal, query and activity heartbeat that reaches the server; each accepted or rejected
 * update; each activity retry; and all markers of one workflow task (local activities, patches) as one
 * (`command_BatchMarkers`; the per-marker `command_RecordMarker` lines are left out). (2) The same rule
 * applied to the event history, which cannot see queries, heartbeats or rejected updates: 1 per
 * WorkflowExecutionStarted, TimerStarted, UpsertWorkflowSearchAttributes, WorkflowPropertiesModified,
 * WorkflowExecutionSignaled, SignalExternalWorkflowExecutionInitiated and WorkflowExecutionUpdateAccepted;
 * `attempt` per completed, failed or timed-out activity (each attempt started is one); 2 per child
 * workflow; 1 per workflow task that recorded markers. Bytes of history: the protobuf encoding of the
 * History that GetWorkflowExecutionHistory returns (payloads included).
 *
 * Options: BENCH_CLUSTER_PROMOTIONS (batch size per throughput run, default 20), BENCH_CLUSTER_KILL
 * (promotions in the kill case, default 20), BENCH_CLUSTER_PORT (first of 30 ports, default 31300; at most 32760, see checkServerPorts),
 * BENCH_CLUSTER_STACK_DIR (default .data/bench-stack-pg; recreated), BENCH_KEEP_STACK=1 keeps it up.
 * Run alone: `npx tsx bench/lib/cluster.ts` prints the section as Markdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REPO_ROOT, stackConfig, type StackConfig } from '../../dev/stack/config';
import { stackDown, stackUp } from '../../dev/stack/stack';
import { serverPorts } from '../../dev/stack/temporal-postgres';
import { createPromoterRobot, workerCredentials } from '../../test/support/accounts';
import { workflowBundle } from '../../test/support/bundle';
import { testEnv, type Env } from '../../test/support/env';
import { seedFiles } from '../../test/support/gitops';
import { HarborAdmin } from '../../test/support/harbor';
import { ImagePusher } from '../../test/support/images';
import { assertPromotedOnce } from '../../test/support/invariants';
import {
  approve,
  awaitingApproval,
  kustomization,
  PRODUCTION_OVERLAY,
  stackPipeline,
  STAGING_OVERLAY,
  startPromotion,
  status,
  type PromotionHandle,
} from '../../test/support/promotions';
import { SimControl } from '../../test/support/sim';
import { connectClient, eventually } from '../../test/support/temporal';
import { WorkerProcess } from '../../test/support/worker-process';
import { median, render, secs, verdict, type Section } from './report';

type IHistory = temporal.api.history.v1.IHistory;
type IEvent = temporal.api.history.v1.IHistoryEvent;

export interface ClusterOptions {
  promotions: number;
  killPromotions: number;
  portBase: number;
  stackDir: string;
  keepStack: boolean;
}

export function clusterOptions(env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const int = (name: string, d: number) => {
    const n = Number(env[name] ?? d);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${env[name]} must be a positive integer`);
    return n;
  };
  return {
    promotions: int('BENCH_CLUSTER_PROMOTIONS', 20),
    killPromotions: int('BENCH_CLUSTER_KILL', 20),
    portBase: int('BENCH_CLUSTER_PORT', 31300),
    stackDir: env.BENCH_CLUSTER_STACK_DIR ?? '.data/bench-stack-pg',
    keepStack: env.BENCH_KEEP_STACK === '1',
  };
}

/** The bench cluster's stack: its own directory and 30 ports from `portBase`, Temporal on PostgreSQL. */
export function clusterStackConfig(o: ClusterOptions): StackConfig {
  const p = (k: number) => String(o.portBase + k);
  return stackConfig({
    ...process.env,
    STACK_DIR: o.stackDir,
    STACK_HARBOR: 'sim',
    STACK_TEMPORAL: 'postgres',
    STACK_TEMPORAL_PORT: p(0), // the server uses this and the next 10
    STACK_TEMPORAL_UI_PORT: p(20),
    STACK_REGISTRY_PORT: p(21),
    STACK_HARBOR_PORT: p(22),
    STACK_METRICS_PORT: p(23),
    STACK_POSTGRES_PORT: p(24),
    STACK_HARBOR_REGISTRY_PORT: p(25),
    STACK_JOBSERVICE_PORT: p(26),
    STACK_REDIS_PORT: p(27),
    STACK_SCANNER_PORT: p(28),
  });
}

/** The server's `action` counter for namespace "default", by action_type. */
export async function actionCounters(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^action(?:_total)?\{([^}]*)\}\s+(\S+)$/.exec(line);
    if (!m || !/namespace="default"/.test(m[1]!)) continue;
    const type = /action_type="([^"]+)"/.exec(m[1]!)?.[1] ?? 'unknown';
    out[type] = (out[type] ?? 0) + Number(m[2]);
  }
  return out;
}

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );

/** Billed actions in a counter delta: markers counted per workflow task, not per marker. */
export const billedActions = (delta: Record<string, number>) =>
  Object.entries(delta)
    .filter(([k]) => !k.startsWith('command_RecordMarker'))
    .reduce((n, [, v]) => n + v, 0);

/** Actions of one execution by the rule of the file comment, from its history alone. */
export function historyActions(events: IEvent[]): number {
  let n = 0;
  const markerTasks = new Set<string>();
  for (const e of events) {
    if (
      e.workflowExecutionStartedEventAttributes ||
      e.timerStartedEventAttributes ||
      e.upsertWorkflowSearchAttributesEventAttributes ||
      e.workflowPropertiesModifiedEventAttributes ||
      e.workflowExecutionSignaledEventAttributes ||
      e.signalExternalWorkflowExecutionInitiatedEventAttributes ||
      e.workflowExecutionUpdateAcceptedEventAttributes
    )
      n += 1;
    else if (e.startChildWorkflowExecutionInitiatedEventAttributes) n += 2;
    else if (e.activityTaskStartedEventAttributes) n += e.activityTaskStartedEventAttributes.attempt ?? 1;
    else if (e.markerRecordedEventAttributes)
      markerTasks.add(String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId));
  }
  return n + markerTasks.size;
}

export const historyBytes = (h: IHistory) => temporal.api.history.v1.History.encode(h).finish().length;

const settle = () => new Promise((r) => setTimeout(r, 2_500));
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

interface Cost {
  events: number;
  bytes: number;
  actions: number;
}

export async function clusterBench(o: ClusterOptions, log: (s: string) => void): Promise<Section> {
  const config = clusterStackConfig(o);
  await stackDown({ config, say: () => {} });
  rmSync(resolve(REPO_ROOT, o.stackDir), { recursive: true, force: true });
  log(`cluster: starting Temporal on PostgreSQL in ${o.stackDir} (ports ${o.portBase}…${o.portBase + 28})`);
  await stackUp({ config, say: (l) => log(`cluster: ${l}`) });
  const env: Env = testEnv(config, false);
  const metricsUrl = `http://127.0.0.1:${serverPorts(config.temporalPort).metrics}/metrics`;
  const client: Client = await connectClient(env);
  const sim = new SimControl(env);
  const pusher = new ImagePusher(env);
  const admin = new HarborAdmin(env);
  const host = new URL(env.HARBOR_URL!).host;
  const RUN = Date.now().toString(36);
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  try {
    const robot = await createPromoterRobot(env, `benchcluster${RUN}`, join(dir, 'secrets'), [
      'platform-dev',
      'platform-staging',
      'platform-production',
    ]);
    const bundle = await workflowBundle();
    await sim.clearFaults();
    await sim.setScanDuration(0);

    const workers = (label: string, count: number) =>
      Array.from(
        { length: count },
        (_, i) =>
          new WorkerProcess({
            env,
            name: `${label}-${i + 1}`,
            taskQueue: `bench-cluster-${label}-${RUN}`,
            extraEnv: { ...workerCredentials(robot), WORKER_WORKFLOW_BUNDLE: bundle },
            logFile: join(dir, `${label}-${i + 1}.log`),
          }),
      );

    /** One repository, image and pair of overlay files per promotion (as separate services would have). */
    async function images(label: string, n: number) {
      const services = Array.from({ length: n }, (_, i) => `bc-${label}-${i}-${RUN}`);
      const files: Record<string, string> = {};
      for (const s of services) {
        files[STAGING_OVERLAY(s)] = kustomization('staging', s, host);
        files[PRODUCTION_OVERLAY(s)] = kustomization('production', s, host);
      }
      await seedFiles(env.GITOPS_REPO_URL!, files, `bench cluster ${label}: overlays`);
      const pushed = [];
      for (const s of services) pushed.push({ service: s, ...(await pusher.push('platform-dev', s, 'v1')) });
      await sim.completeScans();
      return pushed;
    }

    async function costOf(h: PromotionHandle): Promise<Cost> {
      const history = await h.fetchHistory();
      const events = history.events ?? [];
      return { events: events.length, bytes: historyBytes(history), actions: historyActions(events) };
    }

    async function throughput(count: number) {
      const label = `w${count}`;
      const imgs = await images(label, o.promotions);
      const ws = workers(label, count);
      for (const w of ws) await w.start(client);
      try {
        // The server publishes its counters once a second (tally): settle before each reading.
        await settle();
        const before = await actionCounters(metricsUrl);
        const t = Date.now();
        const durations: number[] = [];
        const handles = await Promise.all(
          imgs.map((img) =>
            startPromotion(client, ws[0]!.taskQueue, {
              pipeline: stackPipeline({ registry: host, overlayService: img.service, pollInterval: '1s' }),
              repository: img.service,
              reference: 'v1',
            }),
          ),
        );
        await Promise.all(handles.map((h) => h.result().then(() => durations.push(Date.now() - t))));
        const wall = Date.now() - t;
        await settle();
        const delta = diff(await actionCounters(metricsUrl), before);
        const costs = await Promise.all(handles.map(costOf));
        log(`cluster: ${count} worker(s): ${o.promotions} promotions in ${secs(wall)} s`);
        return { count, wall, durations, delta, costs };
      } finally {
        for (const w of ws) await w.stop();
      }
    }

    const runs = [await throughput(1), await throughput(2)];
    const kill = await killCase();

    const perMin = (r: (typeof runs)[number]) => (o.promotions / (r.wall / 60_000)).toFixed(1);
    const all = runs.flatMap((r) => r.costs);
    const metricPer = (r: (typeof runs)[number]) => billedActions(r.delta) / o.promotions;
    const types = [...new Set(runs.flatMap((r) => Object.keys(r.delta)))].sort();
    const killOk = kill.problems.length === 0;
    const per = (t: string) => ((runs[0]!.delta[t] ?? 0) / o.promotions).toFixed(1);
    const upserts = per('command_UpsertWorkflowSearchAttributes');
    const heartbeats = per('grpc_RecordActivityTaskHeartbeat');
    return {
      title: 'Temporal on PostgreSQL: throughput, cost per promotion, a worker killed mid-drain',
      method:
        `Temporal server v1.29.1 on PostgreSQL (\`npm run stack -- up --temporal postgres\`, a stack of its own), harbor-sim with instant scans. ` +
        `Throughput: ${o.promotions} promotions dev → staging → production (harbor copy, one overlay commit per environment, scan polls every 200 ms) started at once on 1, then 2 worker processes (same task queue, default WORKER_MAX_CONCURRENT_ACTIVITIES 8 each); promotions per minute = ${o.promotions} / wall time from the first start to the last result. ` +
        "Cost per promotion, from the histories of those runs: events, bytes (protobuf encoding of the History that GetWorkflowExecutionHistory returns) and Temporal actions, counted both from the server's `action` counter (the one Temporal Cloud bills by, per `action_type`; markers counted once per workflow task) and by the same rule applied to the history (which cannot see queries, heartbeats or rejected updates); `bench/lib/cluster.ts` spells out the rule. " +
        `Kill case: ${o.killPromotions} promotions parked at the production approval on 2 workers, all approved at once, worker 1 killed with SIGKILL (its process group) once ${kill.killAfter} had completed; then every promotion is checked from outside (Harbor as admin, the GitOps repository): the pushed digest in all three projects, exactly one signature per project, exactly one overlay commit per environment.`,
      tables: [
        {
          head: ['workers', 'promotions', 'wall s', 'promotions / min', 'promotion s (median)'],
          rows: runs.map((r) => [r.count, o.promotions, secs(r.wall), perMin(r), secs(median(r.durations))]),
        },
        {
          head: [
            'per promotion',
            'history events',
            'history KiB',
            'actions (history rule)',
            'actions (server counter)',
          ],
          rows: [
            [
              'median',
              median(all.map((c) => c.events)),
              kb(median(all.map((c) => c.bytes))),
              median(all.map((c) => c.actions)),
              runs
                .map((r) => `${metricPer(r).toFixed(1)} (${r.count} worker${r.count > 1 ? 's' : ''})`)
                .join(', '),
            ],
            [
              'max',
              Math.max(...all.map((c) => c.events)),
              kb(Math.max(...all.map((c) => c.bytes))),
              Math.max(...all.map((c) => c.actions)),
              '',
            ],
          ],
        },
        {
          head: ['action_type (server counter)', ...runs.map((r) => `per promotion, ${r.count} worker(s)`)],
          rows: types.map((t) => [
            t.startsWith('command_RecordMarker') ? `${t} (not billed; see BatchMarkers)` : t,
            ...runs.map((r) => ((r.delta[t] ?? 0) / o.promotions).toFixed(2)),
          ]),
        },
        {
          head: [
            'kill case: promotions',
            'workers',
            'killed after',
            'drain s (approve → last result)',
            'completed',
            'activity attempts > 1',
            'checks failed',
          ],
          rows: [
            [
              o.killPromotions,
              2,
              `${kill.killAfter} completed (${secs(kill.killAtMs)} s)`,
              secs(kill.drainMs),
              `${kill.completed} / ${o.killPromotions}`,
              kill.retries,
              kill.problems.length,
            ],
          ],
        },
      ],
      verdicts: [
        verdict(
          killOk,
          'worker killed mid-drain: every promotion completes, one signature per project and one overlay commit per environment each',
          `${kill.completed} / ${o.killPromotions} completed, ${kill.problems.length} check(s) failed`,
          kill.problems.slice(0, 3).join('; '),
        ),
      ],
      notes: [
        `Of the server-counted actions, ${upserts} per promotion are search-attribute upserts (the workflow keeps PromotionStage and PromotionEnvironment current for \`list\` and the UI) and ${heartbeats} are activity heartbeats (1 worker run).`,
        'With a worker killed, the drain lasts at least the heartbeat timeout (1 min) of an activity the killed worker was running: only then does Temporal retry it on the other worker.',
        'Sizing: actions per month ≈ promotions per month × actions per promotion (the server counter, plus the queries and updates your users send: each `status`/`watch` poll is a query, each approval an update); history storage ≈ promotions retained × history bytes.',
      ],
    };

    async function killCase() {
      const n = o.killPromotions;
      const imgs = await images('kill', n);
      const [a, b] = workers('kill', 2) as [WorkerProcess, WorkerProcess];
      await a.start(client);
      await b.start(client);
      const problems: string[] = [];
      let completed = 0;
      try {
        const handles = await Promise.all(
          imgs.map((img) =>
            startPromotion(client, a.taskQueue, {
              pipeline: stackPipeline({
                registry: host,
                overlayService: img.service,
                approvalInto: ['production'],
                pollInterval: '1s',
              }),
              repository: img.service,
              reference: 'v1',
            }),
          ),
        );
        await eventually(
          `${n} promotions parked at the production approval`,
          async () =>
            (
              await Promise.all(
                handles.map((h) => status(h).then(awaitingApproval('production'), () => false)),
              )
            ).every(Boolean),
          20 * 60_000,
          1_000,
        );
        const killAfter = Math.max(1, Math.floor(n / 3));
        const t = Date.now();
        await Promise.all(handles.map((h) => approve(h, 'production', 'alice')));
        let killAtMs = 0;
        let killed: Promise<void> | undefined;
        const results = handles.map((h) =>
          h.result().then((record) => {
            completed++;
            if (completed === killAfter) {
              killAtMs = Date.now() - t;
              log(`cluster: kill case: ${completed} completed, killing worker 1 (pid ${a.pid})`);
              killed = a.kill9();
            }
            return record;
          }),
        );
        const settled = await Promise.allSettled(results);
        const drainMs = Date.now() - t;
        await killed;
        let retries = 0;
        for (const [i, s] of settled.entries()) {
          const img = imgs[i]!;
          if (s.status === 'rejected') {
            problems.push(`${img.service}: ${(s.reason as Error).message}`);
            continue;
          }
          const history = await handles[i]!.fetchHistory();
          retries += (history.events ?? []).filter(
            (e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
          ).length;
          await assertPromotedOnce({
            admin,
            gitops: env.GITOPS_REPO_URL!,
            repository: img.service,
            tag: 'v1',
            digest: img.digest,
            record: s.value,
            overlays: { staging: STAGING_OVERLAY(img.service), production: PRODUCTION_OVERLAY(img.service) },
          }).catch((err: Error) => problems.push(`${img.service}: ${err.message.split('\n')[0]}`));
        }
        log(
          `cluster: kill case: ${completed}/${n} completed in ${secs(drainMs)} s, ${problems.length} problems`,
        );
        return { killAfter, killAtMs, drainMs, completed, retries, problems };
      } finally {
        await a.stop();
        await b.stop();
      }
    }
  } finally {
    await sim.setScanDuration(1500).catch(() => undefined);
    await client.connection.close();
    log(`cluster: worker logs in ${dir}`);
    if (!o.keepStack) await stackDown({ config, say: () => {} });
  }
}

if (require.main === module) {
  const t0 = Date.now();
  const o = clusterOptions();
  clusterBench(o, (s) => console.error(`bench: ${s}`)).then(
    (section) => {
      console.log(render([section], { ...o, keepStack: String(o.keepStack) }, (Date.now() - t0) / 1000));
      process.exit(0);
    },
    (err: Error) => {
      console.error(`bench: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
