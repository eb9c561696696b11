/**
 * Issue 10, on the live stack with the worker as a process and the CLI as a user runs it:
 * 1. While an activity is retrying (harbor-sim answers 503 to every REST call), `harbor-promote status`
 *    shows the activity, its attempt and Harbor's last answer, not "Activity task failed".
 * 2. Then Harbor's artifact answer changes shape (`"tags": 42`): the promotion fails within a minute with
 *    HarborIncompatible naming the endpoint, the field and Harbor's version, instead of 15 minutes of
 *    Transient retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { runCliProcess } from '../../../dev/demo/lib';
import { failureText } from '../../../src/cli/watch';
import { workflowBundle } from '../../support/bundle';
import { testEnv } from '../../support/env';
import { ImagePusher } from '../../support/images';
import { stackPipeline, startPromotion, waitForStatus } from '../../support/promotions';
import { SimControl } from '../../support/sim';
import { connectClient, eventually } from '../../support/temporal';
import { WorkerProcess } from '../../support/worker-process';

const env = testEnv();
const RUN = Date.now().toString(36);
const HOST = new URL(env.HARBOR_URL!).host;
const sim = new SimControl(env);
let client: Client;
let worker: WorkerProcess;

before(async () => {
  client = await connectClient(env);
  worker = new WorkerProcess({
    env,
    name: 'incompatible',
    taskQueue: `incompatible-${RUN}`,
    extraEnv: { WORKER_WORKFLOW_BUNDLE: await workflowBundle() },
  });
  await worker.start(client); // before any fault: the worker's start-up check reads /systeminfo
});
after(async () => {
  await sim.clearFaults();
  await worker?.stop();
  await client?.connection.close();
});

describe('a Harbor that answers differently', { timeout: 4 * 60_000 }, () => {
  it('status shows the retrying activity; a changed field shape fails the promotion within a minute', async () => {
    const service = 'incompatible';
    const tag = `r-${RUN}`;
    await new ImagePusher(env).push('platform-dev', service, tag);
    await sim.setFaults({ api: { status: 503, errorRate: 1 } });
    const h = await startPromotion(client, worker.taskQueue, {
      pipeline: stackPipeline({ registry: HOST, stagingOnly: true }),
      repository: service,
      reference: tag,
    });
    // 1. Temporal retries resolveDigest; the workflow cannot see that, describe() can.
    await eventually(
      'resolveDigest retried after a failure',
      async () => {
        const p = (await h.describe()).raw.pendingActivities?.[0];
        return p?.lastFailure && (p.attempt ?? 0) >= 2 ? p : undefined;
      },
      60_000,
      200,
    );
    const cliEnv = { ...env, TEMPORAL_TASK_QUEUE: worker.taskQueue };
    const status = await runCliProcess(['status', h.workflowId], cliEnv, { timeoutMs: 60_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /retrying resolveDigest \(attempt \d+(, next at [\d:]+)?\): Transient: resolve platform-dev\/incompatible:r-\w+: Harbor said: UNKNOWN internal server error \(request id [\w-]+\)/,
    );
    assert.doesNotMatch(status.stdout, /Activity task failed/);
    const json = await runCliProcess(['status', h.workflowId, '--json'], cliEnv, { timeoutMs: 60_000 });
    const retrying = (JSON.parse(json.stdout) as { retrying?: { activity: string; lastFailure: string }[] })
      .retrying;
    assert.equal(retrying?.[0]?.activity, 'resolveDigest');
    assert.match(retrying?.[0]?.lastFailure ?? '', /Harbor said: UNKNOWN internal server error/);

    // 2. Harbor now answers, in a shape this client cannot read (the PUT also clears the 503 rule).
    const t0 = Date.now();
    await sim.setArtifactFields({ tags: 42 });
    const err = await h.result().then(
      () => assert.fail('the promotion completed'),
      (e: unknown) => e,
    );
    const took = Date.now() - t0;
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const f = failureText(err.cause);
    assert.equal(f.type, 'HarborIncompatible');
    assert.match(
      f.message,
      /Harbor v2\.15\.2-sim answered GET \/projects\/\{project_name\}\/repositories\/\{repository_name\}\/artifacts\/\{reference\} in a shape this client does not understand: field 'tags': expected array, received number/,
    );
    assert.ok(took < 60_000, `failed after ${took} ms`);
    console.log(`HarborIncompatible ${took} ms after the shape changed`);
    const st = await waitForStatus(h, 'failed', (s) => s.stage === 'failed', 10_000).catch(() => undefined);
    assert.match(
      st?.failure ?? '',
      /^HarborIncompatible: resolving r-\w+ in dev \(platform-dev\/incompatible\): .*field 'tags'/,
    );
  });
});
