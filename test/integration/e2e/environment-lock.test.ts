/**
 * Issue 12 §2 on the local stack (harbor-sim, a worker process, the GitOps repository): promotions of two
 * builds of one service started together end with the newer build in the overlay of every environment,
 * and the older one either superseded or refused as WouldRegress, never moving an overlay backwards.
 *  - with an older promotion holding staging, 1.0.1 and 1.0.2 both wait: 1.0.1 is Superseded (default
 *    policy), having changed nothing in staging;
 *  - with `concurrency: queue`, 1.0.1 arriving while 1.0.2 holds staging (waits, then) is refused as
 *    WouldRegress naming both digests, and nothing of it reaches platform-staging;
 *  - with nothing in the way, whichever reaches staging first writes first; the older one either finishes
 *    before the newer one writes, or is refused as WouldRegress. Either way the overlays end at 1.0.2 and
 *    their history only moves forward.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { workflowBundle } from '../../support/bundle';
import { testEnv } from '../../support/env';
import {
  outcome,
  overlayMoves,
  overlayPaths,
  pinnedDigest,
  pushInOrder,
  seedOverlays,
} from '../../support/environment-lock';
import { HarborAdmin } from '../../support/harbor';
import { ImagePusher } from '../../support/images';
import { stackPipeline, startPromotion, status, waitForStatus } from '../../support/promotions';
import { connectClient, eventually } from '../../support/temporal';
import { listQuery } from '../../../src/cli/commands/list';
import { PromotionStage } from '../../../src/workflows/search-attributes';
import { WorkerProcess } from '../../support/worker-process';
import { reportVerificationSignal } from '../../../src/workflows/messages';

const env = testEnv();
const RUN = Date.now().toString(36);
const HOST = new URL(env.HARBOR_URL!).host;
const LOGS = mkdtempSync(join(tmpdir(), `lock-${RUN}-`));
const pusher = new ImagePusher(env);
const admin = new HarborAdmin(env);
let client: Client;
let worker: WorkerProcess;

before(async () => {
  client = await connectClient(env);
  worker = new WorkerProcess({
    env,
    name: 'lock',
    taskQueue: `lock-${RUN}`,
    extraEnv: { WORKER_WORKFLOW_BUNDLE: await workflowBundle() },
    logFile: join(LOGS, 'worker.log'),
  });
  await worker.start(client);
});
after(async () => {
  await worker?.stop();
  await client?.connection.close();
});

const pipeline = (service: string) => stackPipeline({ registry: HOST, overlayService: service });
const start = (service: string, tag: string, p = pipeline(service)) =>
  startPromotion(client, worker.taskQueue, { pipeline: p, repository: service, reference: tag });

describe('environment lock on the local stack', { timeout: 5 * 60_000 }, () => {
  it('1.0.1 and 1.0.2 started together behind a holder: 1.0.2 everywhere, 1.0.1 Superseded', async () => {
    const service = `lock-a-${RUN}`;
    await seedOverlays(env.GITOPS_REPO_URL!, [service], HOST, `lock ${RUN}`);
    const [, v1, v2] = await pushInOrder(pusher, service, ['1.0.0', '1.0.1', '1.0.2']);
    // 1.0.0 holds staging until the test reports its verification.
    const holding = pipeline(service);
    holding.environments[1]!.verification = { external: true, timeout: '5m' };
    const h0 = await start(service, '1.0.0', holding);
    await waitForStatus(
      h0,
      'staging verification',
      (s) => s.pendingGate?.kind === 'verification',
      120_000,
      100,
    );
    try {
      const [h1, h2] = await Promise.all([start(service, '1.0.1'), start(service, '1.0.2')]);
      const superseded = await outcome(h1);
      assert.equal(superseded.type, 'Superseded', superseded.message);
      assert.match(
        superseded.message,
        new RegExp(
          `superseded by the newer ${service}@1\\.0\\.2 \\(${h2.workflowId.replace(/[.@]/g, '\\$&')}\\)`,
        ),
      );
      assert.match(superseded.message, /nothing was changed in staging/);
      const w = await waitForStatus(
        h2,
        'waiting for staging',
        (s) => s.pendingGate?.kind === 'environment',
        60_000,
        100,
      );
      assert.equal(w.stage, 'waiting-environment');
      // `harbor-promote list --running --repository …` shows it waiting (the PromotionStage search attribute).
      await eventually(
        'list shows 1.0.2 in waiting-environment',
        async () => {
          for await (const r of client.workflow.list({
            query: listQuery({ running: true, repository: service }),
          }))
            if (
              r.workflowId === h2.workflowId &&
              r.typedSearchAttributes.get(PromotionStage) === 'waiting-environment'
            )
              return true;
          return undefined;
        },
        30_000,
        200,
      );
      assert.match(
        w.steps.find((s) => s.id === 'staging/acquireEnvironment')!.detail!,
        new RegExp(`waiting for ${service}@1\\.0\\.0 \\(.*\\) to finish staging`),
      );
      await h0.signal(reportVerificationSignal, { environment: 'staging', passed: true });
      assert.equal((await outcome(h0)).type, 'completed');
      assert.equal((await outcome(h2)).type, 'completed');
      const paths = overlayPaths(service);
      for (const path of [paths.staging, paths.production]) {
        assert.equal(await pinnedDigest(env.GITOPS_REPO_URL!, path), v2!.digest, path);
        assert.ok(
          !(await overlayMoves(env.GITOPS_REPO_URL!, path)).includes(v1!.digest),
          `1.0.1 never reached ${path}`,
        );
      }
      assert.equal(
        (await status(h1)).steps.find((s) => s.id === 'staging/copyToEnvironment')?.state,
        'pending',
      );
      assert.equal(
        await admin.digestOf('platform-staging', service, v1!.digest),
        undefined,
        '1.0.1 never copied',
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- worker output ---\n${worker.output().slice(-4000)}`);
    }
  });

  it('queue: 1.0.1 arriving while 1.0.2 holds staging is refused as WouldRegress, copying nothing', async () => {
    const service = `lock-q-${RUN}`;
    await seedOverlays(env.GITOPS_REPO_URL!, [service], HOST, `lock ${RUN}`);
    const [v1, v2] = await pushInOrder(pusher, service, ['1.0.1', '1.0.2']);
    const queued = pipeline(service);
    queued.environments[1]!.concurrency = 'queue';
    queued.environments[2]!.concurrency = 'queue';
    const h2 = await start(service, '1.0.2', queued);
    await waitForStatus(h2, 'copying into staging', (s) => s.stage === 'copying', 120_000, 50);
    const h1 = await start(service, '1.0.1', queued);
    const refused = await outcome(h1);
    assert.equal(refused.type, 'WouldRegress', refused.message);
    assert.ok(refused.message.includes(v1!.digest) && refused.message.includes(v2!.digest), refused.message);
    assert.equal((await outcome(h2)).type, 'completed');
    assert.equal(await admin.digestOf('platform-staging', service, v1!.digest), undefined, 'nothing copied');
    assert.equal(await pinnedDigest(env.GITOPS_REPO_URL!, overlayPaths(service).staging), v2!.digest);
  });

  it('1.0.1 and 1.0.2 started together: 1.0.2 ends in every overlay, no overlay ever moves backwards', async () => {
    const service = `lock-b-${RUN}`;
    await seedOverlays(env.GITOPS_REPO_URL!, [service], HOST, `lock ${RUN}`);
    const [v1, v2] = await pushInOrder(pusher, service, ['1.0.1', '1.0.2']);
    const [h1, h2] = await Promise.all([start(service, '1.0.1'), start(service, '1.0.2')]);
    const [o1, o2] = await Promise.all([outcome(h1), outcome(h2)]);
    assert.equal(o2.type, 'completed', o2.message);
    const paths = overlayPaths(service);
    for (const path of [paths.staging, paths.production]) {
      assert.equal(await pinnedDigest(env.GITOPS_REPO_URL!, path), v2!.digest, path);
      const moves = await overlayMoves(env.GITOPS_REPO_URL!, path);
      assert.ok(
        moves.indexOf(v1!.digest) < moves.indexOf(v2!.digest) || !moves.includes(v1!.digest),
        `${path} went ${moves.join(' → ')}`,
      );
    }
    // 1.0.1 either was first everywhere and finished before 1.0.2 wrote, or met 1.0.2 in the overlay.
    if (o1.type !== 'completed') {
      assert.equal(o1.type, 'WouldRegress', o1.message);
      assert.ok(o1.message.includes(v1!.digest) && o1.message.includes(v2!.digest), o1.message);
    }
    console.log(`lock: started together, 1.0.1 ended ${o1.type}`);
  });
});
