/**
 * The environment lock on the local test server: several promotions of one repository on one task queue,
 * with mocked Harbor/GitOps activities (an in-memory overlay) and the real lock activities. Staging waits
 * for an external verification report, so a test decides how long the holder keeps the environment.
 * Covers: grant and wait (with the holder named in status), supersede, queue then WouldRegress, a rollback
 * going back on purpose, release on cancellation, and a terminated holder handed over by the lock.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { environmentLockId, type ConcurrencyPolicy } from '../../src/domain/environment-lock.js';
import type { PromotionInput, PromotionRecord } from '../../src/domain/promotion.js';
import { environmentLockActivities } from '../../src/activities/environment-lock.js';
import { reportVerificationSignal, statusQuery } from '../../src/workflows/messages.js';
import { PROMOTE_WORKFLOW_TYPE, promotionStartOptions } from '../../src/workflows/start.js';
import { failureOf, input, mockActivities, startTestEnv, testPipeline, waitForStatus } from './helpers.js';

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
});

const digestOf = (tag: string) => `sha256:${createHash('sha256').update(tag).digest('hex')}`;
/** Push times in the source project: the higher the version, the later the push. */
const pushedAt = (tag: string) => `2026-01-01T09:00:0${tag.split('.').pop()}.000Z`;

function pipeline(concurrency?: ConcurrencyPolicy) {
  return testPipeline((p) => {
    const staging = p.environments[1]!;
    delete staging.soak;
    staging.verification = { external: true, timeout: '60s' };
    if (concurrency) staging.concurrency = concurrency;
    p.environments = p.environments.slice(0, 2);
  });
}

let queueSeq = 0;
/** One worker and one in-memory GitOps overlay shared by every promotion the test starts. */
async function withWorld(
  body: (w: {
    start: (
      tag: string,
      extra?: Partial<PromotionInput>,
      concurrency?: ConcurrencyPolicy,
    ) => Promise<WorkflowHandle>;
    overlay: () => string | undefined;
    /** Digests copied into staging, in order. */
    copies: string[];
    lockId: string;
  }) => Promise<void>,
): Promise<void> {
  let pinned: string | undefined;
  const copies: string[] = [];
  const byDigest = new Map<string, string>();
  const { acts } = mockActivities({
    resolveDigest: async (i) => {
      byDigest.set(digestOf(i.reference), pushedAt(i.reference));
      return {
        digest: digestOf(i.reference),
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        tags: [i.reference],
        pushTime: pushedAt(i.reference),
      };
    },
    readPushTime: async ({ artifact }) => {
      const t = byDigest.get(artifact.digest);
      return t ? { found: true, pushTime: t } : { found: false };
    },
    readOverlayPin: async () => (pinned ? { digest: pinned } : {}),
    copyArtifact: async (i) => {
      copies.push(i.from.digest);
      return {
        digest: i.from.digest,
        copiedAt: new Date().toISOString(),
        strategy: i.strategy,
        signatureRepaired: false,
        bytesThroughWorker: 0,
      };
    },
    updateOverlay: async (i) => {
      pinned = i.digest;
      return { changed: true, commit: `commit-${i.digest.slice(7, 14)}` };
    },
  });
  // A lock that continues as new every few grants: its holder and queue must survive that.
  acts.requestEnvironment = environmentLockActivities({
    checkIntervalMs: 500,
    idleMs: 2_000,
    maxHistory: 40,
  }).requestEnvironment;
  const taskQueue = `lock-${process.pid}-${++queueSeq}`;
  const worker = await Worker.create({
    connection: ctx.env.nativeConnection,
    namespace: ctx.env.namespace ?? 'default',
    taskQueue,
    workflowBundle: ctx.bundle,
    activities: acts,
  });
  await worker.runUntil(
    body({
      start: async (tag, extra = {}, concurrency) => {
        const opts = promotionStartOptions(input(pipeline(concurrency), { reference: tag, ...extra }));
        return ctx.env.client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
          ...opts,
          workflowId: `${opts.workflowId}-${taskQueue}`,
          taskQueue,
        });
      },
      overlay: () => pinned,
      copies,
      lockId: environmentLockId(
        taskQueue,
        'platform-staging',
        'myservice',
        'overlays/staging/kustomization.yaml',
      ),
    }),
  );
}

const verifying = (s: { pendingGate?: { kind: string; environment: string } }) =>
  s.pendingGate?.kind === 'verification' && s.pendingGate.environment === 'staging';
const waitingEnv = (s: { stage: string; pendingGate?: { kind: string } }) =>
  s.stage === 'waiting-environment' && s.pendingGate?.kind === 'environment';
const passStaging = (h: WorkflowHandle) =>
  h.signal(reportVerificationSignal, { environment: 'staging', passed: true });
const ended = (h: WorkflowHandle) =>
  h.result().then(
    () => undefined,
    (e: unknown) => e,
  );

describe('environment lock', () => {
  it('one writer at a time; a waiting promotion is superseded by a newer one (default policy)', async () => {
    await withWorld(async ({ start, overlay, copies }) => {
      const a = await start('1.0.0');
      await waitForStatus(a, verifying); // a holds staging
      const b = await start('1.0.1');
      const waiting = await waitForStatus(b, waitingEnv);
      const step = waiting.steps.find((s) => s.id === 'staging/acquireEnvironment')!;
      assert.equal(step.state, 'waiting');
      assert.equal(step.detail, `waiting for myservice@1.0.0 (${a.workflowId}) to finish staging`);
      assert.equal(waiting.pendingGate?.kind, 'environment');
      assert.deepEqual(copies, [digestOf('1.0.0')], 'b copied nothing while a held staging');

      const c = await start('1.0.2');
      const err = await ended(b);
      assert.equal(failureOf(err).type, 'Superseded');
      assert.match(
        failureOf(err).message,
        new RegExp(`superseded by the newer myservice@1.0.2 \\(${c.workflowId}\\)`),
      );
      assert.match(failureOf(err).message, /nothing was changed in staging/);
      const bs = await b.query(statusQuery);
      assert.equal(bs.steps.find((s) => s.id === 'staging/copyToEnvironment')?.state, 'pending');

      await passStaging(a);
      await a.result();
      await waitForStatus(c, verifying);
      await passStaging(c);
      const rec = (await c.result()) as PromotionRecord;
      assert.equal(overlay(), digestOf('1.0.2'));
      assert.deepEqual(copies, [digestOf('1.0.0'), digestOf('1.0.2')], 'the superseded one never copied');
      assert.equal(rec.pushTime, pushedAt('1.0.2'));
      assert.match(rec.steps.find((s) => s.id === 'staging/releaseEnvironment')!.detail!, /released staging/);
    });
  });

  it('queue: the older one waits its turn, then refuses to move the overlay backwards; a rollback may', async () => {
    await withWorld(async ({ start, overlay, copies, lockId }) => {
      const newer = await start('1.0.2', {}, 'queue');
      await waitForStatus(newer, verifying);
      const older = await start('1.0.1', {}, 'queue');
      await waitForStatus(older, waitingEnv);
      await passStaging(newer);
      await newer.result();
      const err = await ended(older);
      assert.equal(failureOf(err).type, 'WouldRegress');
      assert.match(failureOf(err).message, new RegExp(digestOf('1.0.1')));
      assert.match(failureOf(err).message, new RegExp(digestOf('1.0.2')));
      assert.equal(overlay(), digestOf('1.0.2'));
      assert.deepEqual(copies, [digestOf('1.0.2')], 'the refused one changed nothing in staging');

      // The same older build as a rollback goes back on purpose.
      const back = await start('1.0.1', { rollback: true, requestedBy: 'rollback' }, 'queue');
      await waitForStatus(back, verifying);
      await passStaging(back);
      await back.result();
      assert.equal(overlay(), digestOf('1.0.1'));
      // The lock continued as new on the way (maxHistory 40) and kept its holder and queue.
      const runs: string[] = [];
      for await (const r of ctx.env.client.workflow.list({ query: `WorkflowId = '${lockId}'` }))
        runs.push(r.status.name);
      assert.ok(runs.includes('CONTINUED_AS_NEW'), `lock runs: ${runs.join(', ')}`);
    });
  });

  it('a cancelled holder releases at once; a terminated one is handed over by the lock', async () => {
    await withWorld(async ({ start, overlay }) => {
      const a = await start('1.0.1', {}, 'queue');
      await waitForStatus(a, verifying);
      const b = await start('1.0.2', {}, 'queue');
      await waitForStatus(b, waitingEnv);
      await a.cancel();
      await ended(a);
      await waitForStatus(b, verifying, 10_000); // b holds staging now

      const c = await start('1.0.3', {}, 'queue');
      await waitForStatus(c, waitingEnv);
      await b.terminate('test: a holder that never releases');
      // The lock checks its holder every 500 ms here (60 s by default) and hands staging on.
      await waitForStatus(c, verifying, 15_000);
      await passStaging(c);
      await c.result();
      assert.equal(overlay(), digestOf('1.0.3'));
    });
  });
});
