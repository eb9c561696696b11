/**
 * Chaos for the environment lock (issue 12 §2): the worker is killed with SIGKILL while 1.0.1 holds
 * staging (soaking there) and 1.0.2 waits for it, then restarted. The lock's state lives in its workflow,
 * so nothing is lost: 1.0.1 releases staging when its soak ends, 1.0.2 takes it, and both promotions end
 * correctly, with 1.0.2 in every overlay and no overlay ever moved backwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { workflowBundle } from '../support/bundle';
import { testEnv } from '../support/env';
import {
  outcome,
  overlayMoves,
  overlayPaths,
  pinnedDigest,
  pushInOrder,
  seedOverlays,
} from '../support/environment-lock';
import { ImagePusher } from '../support/images';
import { stackPipeline, startPromotion, waitForStatus } from '../support/promotions';
import { connectClient } from '../support/temporal';
import { WorkerProcess } from '../support/worker-process';

const env = testEnv();
const RUN = Date.now().toString(36);
const HOST = new URL(env.HARBOR_URL!).host;
const LOGS = mkdtempSync(join(tmpdir(), `chaos-lock-${RUN}-`));
let client: Client;
let worker: WorkerProcess;

before(async () => {
  client = await connectClient(env);
  worker = new WorkerProcess({
    env,
    name: 'chaos-lock',
    taskQueue: `chaos-lock-${RUN}`,
    extraEnv: { WORKER_WORKFLOW_BUNDLE: await workflowBundle() },
    logFile: join(LOGS, 'worker.log'),
  });
  await worker.start(client);
});
after(async () => {
  await worker?.stop();
  await client?.connection.close();
});

describe('chaos: kill -9 the worker while a promotion holds an environment', { timeout: 5 * 60_000 }, () => {
  it('the holder and the waiter both end correctly after the restart', async () => {
    const service = `chaos-lock-${RUN}`;
    await seedOverlays(env.GITOPS_REPO_URL!, [service], HOST, `chaos lock ${RUN}`);
    const [v1, v2] = await pushInOrder(new ImagePusher(env), service, ['1.0.1', '1.0.2']);
    const pipeline = stackPipeline({ registry: HOST, overlayService: service });
    pipeline.environments[1]!.soak = '8s'; // the holder keeps staging while it soaks (a timer: no activity to time out)
    const start = (tag: string) =>
      startPromotion(client, worker.taskQueue, { pipeline, repository: service, reference: tag });
    try {
      const h1 = await start('1.0.1');
      await waitForStatus(h1, 'soaking in staging', (s) => s.stage === 'soaking', 120_000, 100);
      const h2 = await start('1.0.2');
      const w = await waitForStatus(
        h2,
        'waiting for staging',
        (s) => s.stage === 'waiting-environment' && s.pendingGate?.kind === 'environment',
        120_000,
        100,
      );
      assert.match(w.pendingGate!.needs, new RegExp(`${service}@1\\.0\\.1 .* to finish staging`));

      await worker.kill9();
      await worker.start(client);

      const [o1, o2] = await Promise.all([outcome(h1), outcome(h2)]);
      assert.equal(o1.type, 'completed', o1.message);
      assert.equal(o2.type, 'completed', o2.message);
      const paths = overlayPaths(service);
      for (const path of [paths.staging, paths.production]) {
        assert.equal(await pinnedDigest(env.GITOPS_REPO_URL!, path), v2!.digest, path);
        const moves = await overlayMoves(env.GITOPS_REPO_URL!, path);
        assert.deepEqual(
          moves.filter((d) => d === v1!.digest || d === v2!.digest),
          [v1!.digest, v2!.digest].filter((d) => moves.includes(d)),
          `${path} only moves forward: ${moves.join(' → ')}`,
        );
      }
      assert.equal(worker.starts, 2, 'the worker was restarted once');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- worker output ---\n${worker.output().slice(-4000)}`);
    }
  });
});
