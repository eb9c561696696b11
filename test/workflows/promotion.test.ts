/**
 * promoteImage, one test per branch, on a real local Temporal server with mocked activities.
 * Timers come from the pipeline (seconds here), since a time-skipping server is not available offline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { PromotionStage } from '../../src/workflows/search-attributes.js';
import {
  approveSignal,
  approveUpdate,
  rejectUpdate,
  reportVerificationSignal,
  statusQuery,
} from '../../src/workflows/messages.js';
import { promotionStartOptions, PROMOTE_WORKFLOW_TYPE } from '../../src/workflows/start.js';
import {
  atGate,
  DIGEST,
  failureOf,
  input,
  mockActivities,
  runPromotion,
  scanOf,
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

/** Approves production as alice (update) and reports production's tests passed (signal). */
async function approveAndReport(
  h: Parameters<NonNullable<Parameters<typeof runPromotion>[3]>>[0],
): Promise<void> {
  await waitForStatus(h, atGate('approval', 'production'));
  await h.executeUpdate(approveUpdate, {
    args: [{ environment: 'production', approver: 'alice', comment: 'lgtm' }],
  });
  await waitForStatus(h, atGate('verification', 'production'));
  await h.signal(reportVerificationSignal, {
    environment: 'production',
    passed: true,
    url: 'https://ci.test/prod/7',
  });
}

describe('promoteImage', () => {
  it('happy path: dev → staging → production with the pinned digest, record and visibility', async () => {
    const { acts, calls } = mockActivities();
    let details = '';
    let summary: string | undefined;
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      // Current details say what it waits for and the exact command; the status query says the same.
      details = ((await h.query(workflowMetadataQuery)) as { currentDetails?: string }).currentDetails ?? '';
      summary = await (await h.describe()).staticSummary();
      await approveAndReport(h);
    });
    assert.equal(r.error, undefined, String(r.error));
    const rec = r.result!;
    assert.equal(rec.digest, DIGEST);
    assert.deepEqual(rec.environments, ['dev', 'staging', 'production']);
    assert.deepEqual(Object.keys(rec.scans), ['dev', 'staging', 'production']);
    assert.equal(rec.approvals.production!.decision, 'approved');
    assert.equal(rec.approvals.production!.approvals[0]!.approver, 'alice');
    assert.equal(rec.approvals.production!.approvals[0]!.via, 'update');
    assert.equal(rec.verifications.staging!.passed, true);
    assert.equal(rec.verifications.production!.url, 'https://ci.test/prod/7');
    assert.equal(rec.overlays.production!.commit, 'commit-production');
    assert.deepEqual(
      rec.proof.map((p) => p.project),
      ['platform-dev', 'platform-staging', 'platform-production'],
    );
    assert.ok(
      rec.steps.every((s) => s.state === 'succeeded' && s.startedAt && s.finishedAt),
      JSON.stringify(rec.steps),
    );
    assert.equal(r.status.stage, 'completed');

    // Tag moved? Irrelevant: after resolve, every artifact the activities see is the pinned digest.
    const refs = calls.flatMap((c) => {
      const i = c.input as Record<string, unknown>;
      return [i.artifact, i.from, ...((i.artifacts as unknown[]) ?? [])].filter(Boolean) as {
        digest: string;
      }[];
    });
    assert.ok(refs.length > 10 && refs.every((a) => a.digest === DIGEST));
    assert.equal(calls.filter((c) => c.name === 'resolveDigest').length, 1);
    // Fresh-scan cut-off: destination scans only count after the copy.
    const copies = calls
      .filter((c) => c.name === 'copyArtifact')
      .map((c) => c.input as { to: { project: string } });
    assert.deepEqual(
      copies.map((c) => c.to.project),
      ['platform-staging', 'platform-production'],
    );
    const scans = calls
      .filter((c) => c.name === 'ensureScanned')
      .map((c) => c.input as { notBefore?: string });
    assert.equal(scans[0]!.notBefore, undefined);
    assert.ok(scans[1]!.notBefore && scans[2]!.notBefore);

    assert.equal(summary, 'myservice:1.4.2-a1b2c3d dev → production');
    assert.match(details, /Waiting for: 1 more approval into production \(0\/1\) from alice, bob, carol/);
    assert.ok(
      details.includes(`harbor-promote approve ${r.handle.workflowId} --env production --as <name>`),
      details,
    );
    const desc = await r.handle.describe();
    assert.equal(desc.typedSearchAttributes.get(PromotionStage), 'completed');

    // Each activity carries a summary for the UI.
    const history = await r.handle.fetchHistory();
    const scheduled = history.events!.filter((e) => e.activityTaskScheduledEventAttributes);
    assert.ok(
      scheduled.length > 0 && scheduled.every((e) => e.userMetadata?.summary),
      'every activity has a summary',
    );
  });

  it('USE_EXISTING: starting the same promotion again returns the running one', async () => {
    const { acts } = mockActivities();
    await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      const again = await ctx.env.client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
        ...promotionStartOptions(input(testPipeline())),
        workflowId: h.workflowId,
        taskQueue: (await h.describe()).taskQueue,
      });
      assert.equal(again.firstExecutionRunId, (await h.describe()).runId);
      await h.cancel();
    });
  });

  it('rejects an invalid input as InvalidInput, naming the field and the fix', async () => {
    const { acts, calls } = mockActivities();
    // Bypass the starter's own check: the workflow must not trust its input.
    const bad = { ...input(testPipeline()), reference: 'Not A Tag' };
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      const q = (await h.describe()).taskQueue;
      const h2 = await ctx.env.client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
        workflowId: `${h.workflowId}-bad`,
        taskQueue: q,
        args: [bad],
      });
      const err = await h2.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const f = failureOf(err);
      assert.equal(f.type, 'InvalidInput');
      assert.match(f.message, /reference: "Not A Tag" is not a valid tag/);
      await h.cancel();
    });
    assert.ok(r.error instanceof Error);
    assert.ok(!calls.some((c) => (c.input as { reference?: string }).reference === 'Not A Tag'));
  });

  it('scan over the threshold in dev fails with VulnerabilityPolicyViolation before signing', async () => {
    const { acts, calls } = mockActivities({ ensureScanned: async () => scanOf({ Critical: 2, High: 1 }) });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'VulnerabilityPolicyViolation');
    assert.match(
      f.message,
      /scan in dev \(platform-dev\) found 2 Critical at or above threshold Critical.*raise environments\[0\]\.severityThreshold/,
    );
    assert.ok(!calls.some((c) => c.name === 'signImage' || c.name === 'copyArtifact'));
    assert.equal(r.status.stage, 'failed');
    assert.equal(r.status.steps.find((s) => s.id === 'dev/awaitScanAndGate')!.state, 'failed');
  });

  it("quarantine in staging fails with Harbor's message", async () => {
    const harbor =
      'current image with 3 vulnerabilities cannot be pulled due to configured policy in \'Prevent images with vulnerability severity of "Medium" or higher from running.\' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.';
    const { acts, calls } = mockActivities({
      readProjectPolicy: async ({ project }) => ({
        project,
        autoScan: true,
        preventVulnerable: true,
        severity: 'medium',
        cosignRequired: true,
        allowlist: [],
      }),
      ensureScanned: async (i) => scanOf({ Medium: 3 }, i.notBefore),
      checkPullable: async ({ artifact }) => {
        if (artifact.project === 'platform-staging')
          throw ApplicationFailure.nonRetryable(harbor, 'Quarantined');
        return { pullable: true };
      },
    });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'Quarantined');
    assert.ok(f.message.includes(harbor), f.message);
    assert.match(f.message, /^staging \(platform-staging\/myservice\) quarantines sha256:/);
    assert.ok(!calls.some((c) => c.name === 'updateOverlay'));
  });

  it('signature invalid after the copy fails with SignatureInvalid', async () => {
    const { acts, calls } = mockActivities({
      verifySignature: async ({ artifact }) => {
        throw ApplicationFailure.nonRetryable(
          `no matching signatures in ${artifact.project}`,
          'SignatureInvalid',
        );
      },
    });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'SignatureInvalid');
    assert.match(
      f.message,
      /signature in staging \(platform-staging\/myservice\) after the copy: no matching signatures/,
    );
    assert.equal(r.status.steps.find((s) => s.id === 'staging/checkDigestAndSignature')!.state, 'failed');
    // Nothing is deployed with a signature that does not verify.
    assert.ok(!calls.some((c) => c.name === 'updateOverlay'));
  });

  it('a copy that changes the digest fails with DigestMismatch', async () => {
    const other = `sha256:${'ee'.repeat(32)}`;
    const { acts } = mockActivities({
      copyArtifact: async (i) => ({
        digest: other,
        copiedAt: new Date().toISOString(),
        strategy: i.strategy,
        signatureRepaired: false,
        bytesThroughWorker: 1,
      }),
    });
    const f = failureOf((await runPromotion(ctx, acts, input(testPipeline()))).error);
    assert.equal(f.type, 'DigestMismatch');
  });

  it('failed integration tests fail with VerificationFailed and are in the status', async () => {
    const { acts } = mockActivities({
      runVerification: async () => ({
        passed: false,
        url: 'https://ci.test/run/9',
        details: '3 tests failed',
        durationMs: 40,
      }),
    });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'VerificationFailed');
    assert.match(
      f.message,
      /integration tests in staging failed \(https:\/\/ci.test\/run\/9\): 3 tests failed/,
    );
    assert.equal(r.status.verifications.staging!.passed, false);
    assert.equal(r.status.steps.find((s) => s.id === 'staging/verificationGate')!.state, 'failed');
  });

  it('approval rejected fails with ApprovalRejected', async () => {
    const { acts, calls } = mockActivities();
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      const ans = await h.executeUpdate(rejectUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'freeze week' }],
      });
      assert.equal(ans.decision, 'rejected');
    });
    const f = failureOf(r.error);
    assert.equal(f.type, 'ApprovalRejected');
    assert.equal(f.message, 'bob rejected the promotion into production: freeze week');
    assert.equal(calls.filter((c) => c.name === 'copyArtifact').length, 1, 'nothing copied into production');
  });

  it('approval expired fails with ApprovalExpired', async () => {
    const { acts } = mockActivities();
    const pipeline = testPipeline((p) => {
      p.environments[2]!.approval!.expiry = '2s';
    });
    const r = await runPromotion(ctx, acts, input(pipeline));
    const f = failureOf(r.error);
    assert.equal(f.type, 'ApprovalExpired');
    assert.match(
      f.message,
      /approval into production expired after 2s with 0\/1 approvals; start the promotion again and ask alice, bob, carol/,
    );
    assert.equal(r.status.approvals.production!.decision, 'expired');
  });

  it('an approver not on the list is refused by the update and ignored as a signal', async () => {
    const { acts } = mockActivities();
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      // Before the gate opens: not waiting yet.
      await waitForStatus(h, (s) => s.digest !== undefined);
      await h.signal(approveSignal, { environment: 'production', approver: 'alice' });
      await waitForStatus(h, atGate('approval', 'production'));
      const refused = async (args: object, re: RegExp) => {
        const err = await h.executeUpdate(approveUpdate, { args: [args as never] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.match((err.cause as Error).message, re);
      };
      await refused(
        { environment: 'production', approver: 'mallory' },
        /"mallory" is not an approver for production; approvers: alice, bob, carol/,
      );
      await refused(
        { environment: 'staging', approver: 'alice' },
        /environment "staging" has no approval gate in this promotion \(gated: production\)/,
      );
      await h.signal(approveSignal, { environment: 'production', approver: 'mallory' });
      const s = await waitForStatus(h, (x) => x.ignoredMessages.length === 2);
      assert.equal(s.approvals.production!.approvals.length, 0);
      assert.equal(s.pendingGate?.kind, 'approval', 'still waiting');
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'));
      // A decision already taken: refused (the workflow still runs, waiting for the test report).
      await refused(
        { environment: 'production', approver: 'bob' },
        /the decision for production is already taken: approved/,
      );
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
    assert.equal(r.error, undefined, String(r.error));
    const ignored = r.result!.ignoredMessages;
    assert.deepEqual(
      ignored.map((m) => m.approver),
      ['alice', 'mallory'],
    );
    assert.match(ignored[0]!.reason, /^not waiting for approval into production yet \(stage: /);
    assert.match(ignored[1]!.reason, /^"mallory" is not an approver for production/);
    assert.deepEqual(
      r.result!.approvals.production!.approvals.map((a) => a.approver),
      ['alice'],
    );
  });

  it('two approvals required: distinct approvers, one via update and one via signal', async () => {
    const { acts } = mockActivities();
    const pipeline = testPipeline((p) => {
      p.environments[2]!.approval!.required = 2;
    });
    const r = await runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      const first = await h.executeUpdate(approveUpdate, {
        args: [{ environment: 'production', approver: 'alice' }],
      });
      assert.deepEqual(first, {
        environment: 'production',
        decision: 'pending',
        approvals: 1,
        required: 2,
        stillNeeded: ['bob', 'carol'],
      });
      const s = await h.query(statusQuery);
      assert.match(s.pendingGate!.needs, /1 more approval into production \(1\/2\) from bob, carol/);
      const again = await h
        .executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(again instanceof WorkflowUpdateFailedError);
      assert.match(
        (again.cause as Error).message,
        /"alice" already approved production; 1 more from other approvers needed/,
      );
      await h.signal(approveSignal, { environment: 'production', approver: 'bob', comment: 'ok' });
      await waitForStatus(h, atGate('verification', 'production'));
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual(
      r.result!.approvals.production!.approvals.map((a) => [a.approver, a.via]),
      [
        ['alice', 'update'],
        ['bob', 'signal'],
      ],
    );
  });

  it('transient activity errors are retried', async () => {
    const attempts: number[] = [];
    const { acts } = mockActivities({
      copyArtifact: async (i) => {
        attempts.push(Context.current().info.attempt);
        if (Context.current().info.attempt < 3) throw new Error('ECONNRESET talking to Harbor');
        return {
          digest: i.from.digest,
          copiedAt: new Date().toISOString(),
          strategy: i.strategy,
          signatureRepaired: false,
          bytesThroughWorker: 0,
        };
      },
    });
    const pipeline = testPipeline((p) => {
      p.environments.pop(); // dev → staging is enough
    });
    const r = await runPromotion(ctx, acts, input(pipeline));
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it('cancellation stops the promotion at the gate and says so', async () => {
    const { acts, calls } = mockActivities();
    const r = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await h.cancel();
    });
    assert.ok((r.error as { cause?: unknown }).cause instanceof CancelledFailure, String(r.error));
    assert.equal(r.status.stage, 'cancelled');
    assert.equal(r.status.steps.find((s) => s.id === 'production/approvalGate')!.state, 'cancelled');
    assert.equal(calls.filter((c) => c.name === 'copyArtifact').length, 1);
    assert.equal((await r.handle.describe()).typedSearchAttributes.get(PromotionStage), 'cancelled');
  });
});
