/**
 * A minimal worker with the same pieces as src/worker.ts (env config, createActivities, the workflows),
 * for developing the proof suites before the real entry exists or to bisect a worker problem:
 * HARBOR_PROMOTE_WORKER_ENTRY=test/support/dev-worker.ts. The suites use src/worker.ts by default.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index';
import { loadWorkerConfig } from '../../src/worker/config';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../../src/workflows/index'),
    activities: createActivities(config.activities),
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    shutdownGraceTime: config.shutdownGraceMs,
  });
  console.log(`dev worker polling ${config.temporal.taskQueue}`);
  await worker.run();
  await connection.close();
}

main().catch((err: Error) => {
  console.error(`dev worker: ${err.message}`);
  process.exit(1);
});
