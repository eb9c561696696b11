/**
 * Freeze windows (issue 12, part 4) and the duration limits (part 6) on the local test server. Windows
 * are fixed start/end times a few seconds around now, so the durable timers run in real seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UnfreezeArgs } from '../../src/workflows/messages.js';
import { approveUpdate, reportVerificationSignal, unfreezeUpdate } from '../../src/workflows/messages.js';
import { PROMOTE_WORKFLOW_TYPE } from '../../src/workflows/start.js';
import {
  atGate,
  failureOf,
  input,
  mockActivities,
  runPromotion,
  startTestEnv,
  testPipeline,
  waitForStatus,
} from './helpers.js';

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
});

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

async function refused(h: WorkflowHandle, args: Partial<UnfreezeArgs>, re: RegExp): Promise<void> {
  const err = await h.executeUpdate(unfreezeUpdate, { args: [args as UnfreezeArgs] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  assert.match((err.cause as Error).message, re);
}

describe('freeze windows', () => {
  it('holds the copy into a frozen environment until its windows end, one after another', async () => {
    const { acts, calls } = mockActivities();
    const copiedAt: Record<string, number> = {};
    const copy = acts.copyArtifact;
    acts.copyArtifact = async (i) => {
      copiedAt[i.to.project] = Date.now();
      return copy(i);
    };
    // A pipeline-wide window open now, then staging's own window right after it.
    const firstEnd = iso(3_000);
    const secondEnd = iso(5_000);
    const pipeline = testPipeline((p) => {
      p.freeze = [{ start: iso(-1_000), end: firstEnd, reason: 'release train' }];
      p.environments[1]!.freeze = [{ start: firstEnd, end: secondEnd, reason: 'db migration' }];
    });
    let frozen: Awaited<ReturnType<typeof waitForStatus>> | undefined;
    const r = await runPromotion(ctx, acts, input(pipeline, { targetEnvironment: 'staging' }), async (h) => {
      frozen = await waitForStatus(h, (s) => s.stage === 'frozen');
    });
    assert.equal(r.error, undefined, String(r.error));

    // While frozen: the stage, the step's detail, and the gate with the command that lifts it.
    const step = frozen!.steps.find((s) => s.id === 'staging/awaitFreezeWindow')!;
    assert.equal(step.state, 'waiting');
    assert.equal(step.detail, `waiting: frozen until ${firstEnd} (release train)`);
    assert.equal(frozen!.pendingGate?.kind, 'freeze');
    assert.match(
      frozen!.pendingGate!.command!,
      /^harbor-promote unfreeze \S+ --env staging --as <name> --reason <text>$/,
    );

    // The copy waited for both windows; the record shows both waits.
    assert.ok(copiedAt['platform-staging']! >= Date.parse(secondEnd), 'copied before the freeze ended');
    const waits = r.result!.freezes!.staging!.waits;
    assert.deepEqual(
      waits.map((w) => [w.reason, w.until, w.ended]),
      [
        ['release train', firstEnd, 'window-ended'],
        ['db migration', secondEnd, 'window-ended'],
      ],
    );
    assert.equal(r.result!.steps.find((s) => s.id === 'staging/awaitFreezeWindow')!.state, 'succeeded');
    assert.ok(calls.some((c) => c.name === 'updateOverlay'));
  });

  it('unfreeze: an approver of the environment lifts it for this promotion, with a reason', async () => {
    const { acts } = mockActivities();
    const pipeline = testPipeline((p) => {
      // A recurring window that is always open: every minute, for an hour (cron and time zone evaluated
      // by croner inside the workflow sandbox).
      p.environments[2]!.freeze = [
        { cron: '* * * * *', duration: '1h', timeZone: 'Europe/Berlin', reason: 'year-end freeze' },
      ];
    });
    const r = await runPromotion(ctx, acts, input(pipeline), async (h) => {
      await refused(
        h,
        { environment: 'staging', approver: 'alice', reason: 'x' },
        /"staging" has no freeze windows/,
      );
      await waitForStatus(h, atGate('approval', 'production'));
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      const s = await waitForStatus(h, (x) => x.stage === 'frozen');
      assert.equal(s.currentEnvironment, 'production');
      await refused(
        h,
        { environment: 'production', approver: 'mallory', reason: 'please' },
        /"mallory" is not an approver for production; approvers: alice, bob, carol/,
      );
      await refused(h, { environment: 'production', approver: 'bob', reason: ' ' }, /needs a reason/);
      const answer = await h.executeUpdate(unfreezeUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'hotfix INC-42' }],
      });
      assert.deepEqual(answer, { environment: 'production', wasFrozen: true });
      await refused(
        h,
        { environment: 'production', approver: 'carol', reason: 'again' },
        /already lifted by bob/,
      );
      await waitForStatus(h, atGate('verification', 'production'));
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
    assert.equal(r.error, undefined, String(r.error));
    const f = r.result!.freezes!.production!;
    assert.equal(f.unfrozen?.approver, 'bob');
    assert.equal(f.unfrozen?.reason, 'hotfix INC-42');
    assert.equal(f.waits[0]!.ended, 'unfrozen');
    assert.equal(
      r.result!.steps.find((s) => s.id === 'production/awaitFreezeWindow')!.detail,
      'freeze lifted by bob: hotfix INC-42',
    );
  });
});

describe('duration limits', () => {
  it('a new promotion with a poll interval under 1s fails as InvalidInput naming the field', async () => {
    const { acts, calls } = mockActivities();
    const bad = input(
      testPipeline((p) => {
        p.environments[1]!.scan = { timeout: '30s', pollInterval: '0s' };
      }),
    );
    // The starter refuses it too; start it directly, as a client that skips the check would.
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      const q = (await h.describe()).taskQueue;
      const h2 = await ctx.env.client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
        workflowId: `${h.workflowId}-limits`,
        taskQueue: q,
        args: [bad],
      });
      const err = await h2.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const f = failureOf(err);
      assert.equal(f.type, 'InvalidInput');
      assert.match(
        f.message,
        /pipeline\.environments\[1\]\.scan\.pollInterval: "0s" is under the shortest poll interval of 1s/,
      );
      await h.cancel();
    });
    assert.ok(r.error instanceof Error);
    assert.equal(calls.filter((c) => c.name === 'resolveDigest').length, 1); // only the healthy one ran
  });
});
