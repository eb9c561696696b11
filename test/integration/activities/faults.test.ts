// Faults injected by harbor-sim. Retry policy: idempotent GET/HEAD are retried inside the client (a few
// attempts, backoff, Retry-After); POSTs are not, their activity fails with a retryable `Transient`
// failure and Temporal's retry policy re-runs the (idempotent) activity. Permanent answers fail at once.
// Run this file alone or with --test-concurrency=1: faults are global to the sim.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { buildActivities } from '../../../src/activities/index.js';
import {
  activity,
  activityFixture,
  configFromEnv,
  DEV,
  failure,
  PROD,
  runActivity,
  STAGING,
  waitFor,
  withRetries,
} from './helpers.js';

const { env, acts, connection, api, sim, ci, repo } = activityFixture('faults');
let digest = '';

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
  } catch {
    return false;
  }
};

before(async () => {
  await sim.clearFaults();
  digest = (await ci.image(`${DEV}/${repo}`, '1.0', { layerBytes: 4 * 1024 * 1024 })).digest;
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${digest}`);
  await sim.completeScans();
});
afterEach(() => sim.clearFaults());
after(() => connection.close());

async function injected(family: string): Promise<number> {
  return (await sim.counters())[family]?.injected ?? 0;
}

describe('transient faults are retried to success', () => {
  it('5xx on GETs: retried inside the client', async () => {
    await sim.resetCounters();
    await sim.faults({ api: { status: 503, failNext: 2 } });
    const r = await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' });
    assert.equal(r.digest, digest);
    assert.equal(await injected('api'), 2);
  });

  it('429 with Retry-After: retried inside the client', async () => {
    await sim.resetCounters();
    await sim.faults({ api: { status: 429, failNext: 1 } });
    const t = Date.now();
    assert.equal((await activity(acts.readProjectPolicy, { project: PROD })).project, PROD);
    assert.ok(Date.now() - t >= 900, 'waited for Retry-After: 1');
    assert.equal(await injected('api'), 1);
  });

  it('5xx on the registry HEAD: retried inside the client', async () => {
    await sim.resetCounters();
    await sim.faults({ v2: { status: 502, failNext: 2 } });
    assert.deepEqual(
      await activity(acts.checkPullable, { artifact: { project: DEV, repository: repo, digest } }),
      { pullable: true },
    );
    assert.equal(await injected('v2'), 2);
  });

  it('latency below the timeout is just slow; above it, a retryable failure until it goes away', async () => {
    await sim.faults({ api: { latencyMs: 300 } });
    assert.equal(
      (await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' })).digest,
      digest,
    );
    const impatient = buildActivities(configFromEnv(env, { harborTimeoutMs: 100 }));
    await assert.rejects(
      activity(impatient.activities.resolveDigest, { project: DEV, repository: repo, reference: '1.0' }),
      (e: { type?: string; nonRetryable?: boolean }) => {
        return e.type === 'Transient' && e.nonRetryable === false;
      },
    );
    await sim.clearFaults();
    assert.equal(
      (
        await activity(impatient.activities.resolveDigest, {
          project: DEV,
          repository: repo,
          reference: '1.0',
        })
      ).digest,
      digest,
    );
    await impatient.connection.close();
  });

  it('5xx on the copy POST: the activity fails retryable at once; the Temporal retry succeeds with one copy', async () => {
    await sim.resetCounters();
    await sim.faults({ copy: { status: 500, failNext: 1 } });
    const { result, attempts } = await withRetries(() =>
      activity(acts.copyArtifact, {
        from: { project: STAGING, repository: repo, digest },
        to: { project: PROD, repository: repo },
        strategy: 'harbor',
      }),
    );
    assert.equal(attempts, 2);
    assert.equal(result.digest, digest);
    assert.equal(await injected('copy'), 1);
    assert.equal((await api.listArtifacts(PROD, repo, `digest=${digest}`)).length, 1);
  });
});

describe('permanent faults fail at once', () => {
  it('403 and 400 are not retried, by the client or by Temporal', async () => {
    for (const [status, type] of [
      [403, 'PermissionDenied'],
      [400, 'InvalidInput'],
    ] as const) {
      await sim.resetCounters();
      await sim.faults({ api: { status, failNext: 5 } });
      let calls = 0;
      await assert.rejects(
        withRetries(() => {
          calls++;
          return activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' });
        }),
        failure(type),
      );
      assert.equal(calls, 1);
      assert.equal(await injected('api'), 1);
    }
  });
});

describe('cancellation', () => {
  it('cancelling a running skopeo copy kills the skopeo process', async () => {
    await sim.completeScans();
    await sim.faults({ v2: { latencyMs: 3_000 } }); // every registry request crawls
    const run = runActivity(acts.copyArtifact, {
      from: { project: STAGING, repository: repo, digest },
      to: { project: PROD, repository: `${repo}-cancel` },
      tag: 'c',
      strategy: 'skopeo',
    });
    assert.ok(
      await waitFor(
        () => run.heartbeats.some((h) => (h as { running?: string }).running === 'skopeo copy'),
        20_000,
      ),
      'skopeo started',
    );
    const pid = (
      run.heartbeats.find((h) => (h as { running?: string }).running === 'skopeo copy') as { pid: number }
    ).pid;
    assert.ok(alive(pid));
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /skopeo/);
    run.env.cancel();
    await assert.rejects(run.result, (e) => e instanceof CancelledFailure);
    assert.ok(await waitFor(() => !alive(pid), 5_000), 'skopeo survived the cancellation');
  });
});
