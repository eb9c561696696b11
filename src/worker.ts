/**
 * The worker process: configuration from the environment (src/worker/config.ts), the SDK runtime with our
 * structured logger and the Prometheus endpoint, start-up checks (Temporal, Harbor, tools), then it polls
 * the task queue until SIGTERM/SIGINT, letting running activities finish for WORKER_SHUTDOWN_GRACE.
 *
 * Exit codes: 0 clean shutdown, 1 crashed, 2 configuration wrong, 3 Temporal or Harbor unreachable.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker, type NativeConnectionOptions } from '@temporalio/worker';
import { buildActivities } from './activities/index.js';
import { readSecret } from './activities/secrets.js';
import { toolOutputSays } from './activities/tool-output.js';
import { NON_RETRYABLE_FAILURE_TYPES } from './domain/failures.js';
import { temporalConnectionOptions } from './temporal/connection.js';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from './worker/config.js';
import { createLogger } from './worker/logging.js';
import { checkHarbor, StartupError } from './worker/preflight.js';
import { applyYoungGeneration } from './worker/memory.js';
import { installRuntime } from './worker/telemetry.js';
import { bundleInChildProcess } from './worker/workflow-code.js';

/** Core's connection errors are Rust debug strings; name the cause in a few words. */
function connectReason(err: unknown): string {
  const m = (err as Error)?.message ?? String(err);
  if (/connection ?refused/i.test(m)) return 'connection refused';
  if (/dns|failed to lookup|resolve/i.test(m)) return 'host name not resolved';
  if (/timed? ?out|deadline/i.test(m)) return 'timed out';
  if (/tls|certificate|handshake/i.test(m)) return `TLS failed: ${m.split('\n')[0]!.slice(0, 160)}`;
  return m.split('\n')[0]!.slice(0, 160);
}

function nativeConnectionOptions(cfg: WorkerConfig): NativeConnectionOptions {
  const t = cfg.temporal;
  return temporalConnectionOptions({
    address: t.address,
    ...(t.tls && {
      tls: {
        ...(t.tls.certFile && { certPath: t.tls.certFile }),
        ...(t.tls.keyFile && { keyPath: t.tls.keyFile }),
        ...(t.tls.caFile && { caPath: t.tls.caFile }),
        ...(t.tls.serverName && { serverName: t.tls.serverName }),
      },
    }),
    ...(t.apiKey && { apiKey: readSecret(t.apiKey) }),
  });
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let cfg: WorkerConfig;
  const early = createLogger('INFO', env.WORKER_LOG_FORMAT === 'text' ? 'text' : 'json');
  try {
    cfg = loadWorkerConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) early.error(`cannot start: ${p}`);
    return 2;
  }

  // Before the SDK creates the workflow thread's isolate (src/worker/memory.ts).
  const youngGeneration = applyYoungGeneration();
  // Secrets are read here (once); the redactor then guards every log line.
  mkdirSync(cfg.activities.workDir, { recursive: true });
  const { activities, doctor, connection: harbor, redactor } = buildActivities(cfg.activities);
  const log = createLogger(cfg.logLevel, cfg.logFormat, redactor);
  try {
    installRuntime(log, cfg.metricsAddress, cfg.temporal.taskQueue);
  } catch (err) {
    log.error(
      `cannot start: the metrics endpoint WORKER_METRICS_ADDRESS=${cfg.metricsAddress} failed (${(err as Error).message}); choose a free host:port or unset it`,
    );
    await harbor.close().catch(() => undefined);
    return 2;
  }

  let nativeConnection: NativeConnection | undefined;
  let ownBundle: string | undefined;
  try {
    if (cfg.preflight) {
      const h = await checkHarbor(
        cfg.activities.harborUrl,
        cfg.activities.harborUsername,
        readSecret(cfg.activities.harborPassword),
      );
      log.info('Harbor reachable, credentials accepted', {
        harborUrl: cfg.activities.harborUrl,
        harborVersion: h.version,
        username: cfg.activities.harborUsername,
      });
    }
    try {
      nativeConnection = await NativeConnection.connect(nativeConnectionOptions(cfg));
    } catch (err) {
      throw new StartupError(
        `cannot reach Temporal at ${cfg.temporal.address} (${connectReason(err)}); check TEMPORAL_ADDRESS and that the server is up (local stack: \`npm run stack -- up\`)`,
        3,
      );
    }
    // Without a prebuilt bundle, one is built now in a child process, never in the worker's own heap.
    let workflowBundle = cfg.workflowBundle;
    if (!workflowBundle) {
      workflowBundle = ownBundle = join(cfg.activities.workDir, `workflow-bundle-${process.pid}.js`);
      const t = Date.now();
      await bundleInChildProcess(workflowBundle); // a failure ends the start: 'worker failed: …', exit 1
      log.info('workflow code bundled', { file: workflowBundle, ms: Date.now() - t });
    }
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: cfg.temporal.namespace,
      taskQueue: cfg.temporal.taskQueue,
      identity: cfg.identity ?? `harbor-promote-worker:${process.pid}@${hostname()}`,
      workflowBundle: { codePath: workflowBundle },
      activities: { ...activities, ...doctor },
      maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivities,
      // Parked promotions wait for days; keeping all of them in memory costs RSS for nothing.
      maxCachedWorkflows: cfg.maxCachedWorkflows,
      shutdownGraceTime: cfg.shutdownGraceMs,
      shutdownForceTime: cfg.shutdownGraceMs + 15_000,
    }).catch((err: Error) => {
      if (toolOutputSays('temporal', 'namespace-missing', err.message))
        throw new StartupError(
          `namespace "${cfg.temporal.namespace}" does not exist at ${cfg.temporal.address}; set TEMPORAL_NAMESPACE`,
          2,
        );
      throw err;
    });

    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        log.info('shutting down: no new tasks; running activities may finish', {
          signal: sig,
          graceMs: cfg.shutdownGraceMs,
        });
        worker.shutdown();
      } else {
        log.warn('second signal: exiting now', { signal: sig });
        process.exit(1);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    log.info('worker started', {
      address: cfg.temporal.address,
      namespace: cfg.temporal.namespace,
      taskQueue: cfg.temporal.taskQueue,
      harborUrl: cfg.activities.harborUrl,
      ...(cfg.metricsAddress && { metrics: `http://${cfg.metricsAddress}/metrics` }),
      nonRetryableFailureTypes: NON_RETRYABLE_FAILURE_TYPES.length,
      memory: `${youngGeneration}; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}`,
    });
    await worker.run();
    log.info('worker stopped');
    return 0;
  } catch (err) {
    if (err instanceof StartupError) {
      log.error(`cannot start: ${err.message}`);
      return err.exitCode;
    }
    log.error(`worker failed: ${(err as Error).message}`, { error: err });
    return 1;
  } finally {
    await nativeConnection?.close().catch(() => undefined);
    await harbor.close().catch(() => undefined);
    if (ownBundle) rmSync(ownBundle, { force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`harbor-promote worker: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
