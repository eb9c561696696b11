/**
 * Independent reads run side by side (issue 13, the drain): the pull-policy read and the manifest HEAD of
 * each destination, and the final proof's digest and attestation checks, are scheduled by one workflow
 * task. Their verdicts are read in the old order, so the failure a user sees does not change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { approveUpdate, reportVerificationSignal } from '../../src/workflows/messages.js';
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

async function approveAndReport(h: WorkflowHandle): Promise<void> {
  await waitForStatus(h, atGate('approval', 'production'));
  await h.executeUpdate(approveUpdate, {
    args: [{ environment: 'production', approver: 'alice', comment: 'lgtm' }],
  });
  await waitForStatus(h, atGate('verification', 'production'));
  await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
}

/** Activity types scheduled together, grouped by the workflow task that scheduled them. */
async function scheduledTogether(h: WorkflowHandle): Promise<string[][]> {
  const events = (await h.fetchHistory()).events ?? [];
  const byTask = new Map<string, string[]>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const k = String(a.workflowTaskCompletedEventId);
    byTask.set(k, [...(byTask.get(k) ?? []), a.activityType!.name!]);
  }
  return [...byTask.values()].map((names) => names.sort());
}

describe('independent checks side by side', () => {
  it('policy read with manifest HEAD in each destination, digests with attestations at the end', async () => {
    const { acts } = mockActivities();
    const r = await runPromotion(ctx, acts, input(testPipeline()), approveAndReport);
    assert.equal(r.error, undefined, String(r.error));
    const groups = await scheduledTogether(r.handle);
    const pairs = groups.filter((g) => g.length > 1).map((g) => g.join('+'));
    assert.deepEqual(pairs, [
      'checkPullable+readProjectPolicy',
      'checkPullable+readProjectPolicy',
      'verifyAttestations+verifyDigests',
    ]);
  });

  it('a wrong digest is still the failure when the attestations fail too', async () => {
    const { acts } = mockActivities({
      verifyDigests: async (i) =>
        i.artifacts.map((a) => ({
          ...a,
          digest: a.project === 'platform-production' ? `sha256:${'e'.repeat(64)}` : a.digest,
          signed: true,
        })),
      verifyAttestations: async () => {
        throw ApplicationFailure.nonRetryable('no VSA in platform-production', 'AttestationInvalid');
      },
    });
    const r = await runPromotion(ctx, acts, input(testPipeline()), approveAndReport);
    const f = failureOf(r.error);
    assert.equal(f.type, 'DigestMismatch', f.message);
    assert.match(f.message, /platform-production\/myservice holds sha256:e{64}/);
  });

  it('a quarantine found by the HEAD fails the promotion even though the policy read succeeded', async () => {
    const { acts, calls } = mockActivities({
      checkPullable: async ({ artifact }) => {
        if (artifact.project === 'platform-staging')
          throw ApplicationFailure.nonRetryable('412 PROJECTPOLICYVIOLATION', 'Quarantined');
        return { pullable: true };
      },
    });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'Quarantined');
    assert.ok(!calls.some((c) => c.name === 'verifySignature' || c.name === 'updateOverlay'));
  });
});
