/**
 * The SDK runtime: our logger for SDK and core logs, and the Prometheus endpoint of the SDK's own metrics
 * (task slots, poll latencies, activity/workflow counters) at http://WORKER_METRICS_ADDRESS/metrics.
 * Must run once, before any connection or worker exists.
 */
import { Runtime, type Logger } from '@temporalio/worker';

export function installRuntime(logger: Logger, metricsAddress?: string, taskQueue?: string): void {
  Runtime.install({
    logger,
    // Our main() handles SIGINT/SIGTERM itself (so it can log and set the exit code); the runtime's own
    // handlers would call worker.shutdown() too, which is harmless, but one owner reads better in logs.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'WARN' } },
      ...(metricsAddress && {
        metrics: {
          prometheus: {
            bindAddress: metricsAddress,
            countersTotalSuffix: true,
            useSecondsForDurations: true,
          },
          metricPrefix: 'temporal_',
          globalTags: { service: 'harbor-promote-worker', ...(taskQueue && { task_queue: taskQueue }) },
        },
      }),
    },
  });
}
