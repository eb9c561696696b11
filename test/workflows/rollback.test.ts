/**
 * The rollback workflow on the local test server with mocked activities: it checks the target before it
 * changes anything, passes the environment's approval gate (unless the pipeline turns it off for
 * rollbacks), re-points the overlay as a rollback, verifies, and records itself as a rollback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { PromotionActivities, UpdateOverlayInput } from '../../src/activities/contract.js';
import type { PipelineFile } from '../../src/domain/pipeline.js';
import { approveUpdate, statusQuery } from '../../src/workflows/messages.js';
import { listQuery } from '../../src/cli/program.js';
import { atGate, mockActivities, startTestEnv, testPipeline, waitForStatus } from './helpers.js';
import { NEW, OLD, rollbackInput, runRollback } from './rollback-helpers.js';

/** Production verifies by command here, so a rollback runs to the end without a report. */
const pipeline = (edit?: (p: PipelineFile) => void) =>
  testPipeline((p) => {
    p.environments[2]!.verification = { command: ['./it.sh', 'production'], timeout: '30s' };
    edit?.(p);
  });

describe('rollback workflow', () => {
  let ctx: Awaited<ReturnType<typeof startTestEnv>>;
  before(async () => {
    ctx = await startTestEnv();
  });
  after(async () => {
    await ctx?.env.teardown();
  });

  it('checks the target, waits for the approval, re-points the overlay as a rollback and records it', async () => {
    const { acts, calls } = mockActivities({
      resolveDigest: async (i) => ({ digest: i.reference, manifestMediaType: 'm', tags: [] }),
      updateOverlay: async () => ({ changed: true, commit: 'c-rollback', previousDigest: NEW }),
    });
    let planned: string[] = [];
    const listed: string[] = [];
    const r = await runRollback(ctx, acts, rollbackInput(pipeline()), async (h) => {
      planned = (await h.query(statusQuery)).steps.map((s) => s.id);
      await waitForStatus(h, atGate('approval', 'production'));
      // Nothing changed while it waits for the approver.
      assert.deepEqual(
        calls.map((c) => c.name),
        ['resolveDigest', 'verifySignature', 'checkPullable'],
      );
      // `list` (the same query as the CLI) shows it waiting for approval, next to promotions.
      for await (const wf of ctx.env.client.workflow.list({
        query: listQuery({ waitingApproval: true, repository: 'myservice' }),
      }))
        listed.push(wf.workflowId);
      await h.executeUpdate(approveUpdate, {
        args: [{ environment: 'production', approver: 'alice', comment: 'roll back' }],
      });
    });
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual(planned, [
      'production/checkRollbackTarget',
      'production/approvalGate',
      'production/acquireEnvironment',
      'production/updateOverlay',
      'production/verificationGate',
      'production/releaseEnvironment',
      'recordRollback',
    ]);
    assert.ok(listed.includes(r.handle.workflowId), `list did not show it: ${listed.join(', ')}`);
    const rec = r.result!;
    assert.equal(rec.kind, 'rollback');
    assert.deepEqual(rec.rollback, {
      environment: 'production',
      from: NEW,
      to: OLD,
      requestedBy: 'dana',
      promotedBy: 'promote-myservice@1.0.1',
    });
    assert.equal(rec.digest, OLD);
    assert.equal(rec.approvals.production?.decision, 'approved');
    assert.equal(rec.verifications.production?.passed, true);
    assert.deepEqual(
      rec.steps.map((s) => s.state),
      planned.map(() => 'succeeded'),
    );
    // The overlay update is the rollback's: digest, the tag it was promoted with, and the rollback mark.
    const overlay = calls.find((c) => c.name === 'updateOverlay')!.input as UpdateOverlayInput;
    assert.equal(overlay.digest, OLD);
    assert.equal(overlay.newTag, '1.0.1');
    assert.equal(overlay.environment, 'production');
    assert.deepEqual(overlay.rollback, { requestedBy: 'dana' });
    assert.equal(overlay.promotionId, r.handle.workflowId);
    // Only production's project was touched: no copy, no signing, no scan.
    assert.ok(!calls.some((c) => ['copyArtifact', 'signImage', 'ensureScanned'].includes(c.name)));
  });

  it('`rollback: { approval: false }` goes straight to the overlay', async () => {
    const { acts } = mockActivities({
      resolveDigest: async (i) => ({ digest: i.reference, manifestMediaType: 'm', tags: [] }),
    });
    const r = await runRollback(
      ctx,
      acts,
      rollbackInput(pipeline((p) => (p.rollback = { approval: false }))),
    );
    assert.equal(r.error, undefined, String(r.error));
    assert.ok(!r.result!.steps.some((s) => s.step === 'approvalGate'));
    assert.deepEqual(r.result!.approvals, {});
    // Without the overlay's answer, the record keeps what the records said the overlay held.
    assert.equal(r.result!.rollback?.from, NEW);
  });

  for (const [what, over, type, message] of [
    [
      'a digest not in the project',
      {
        resolveDigest: async () => {
          throw ApplicationFailure.create({
            type: 'ImageNotFound',
            message: 'artifact platform-production/myservice@sha256:a1a1 not found',
            nonRetryable: true,
          });
        },
      },
      'ImageNotFound',
      /rollback target .* in production \(platform-production\/myservice\): artifact .* not found A rollback goes only to a digest that was promoted into production/,
    ],
    [
      'an unsigned digest',
      {
        resolveDigest: async (i: { reference: string }) => ({
          digest: i.reference,
          manifestMediaType: 'm',
          tags: [],
        }),
        verifySignature: async () => {
          throw ApplicationFailure.create({
            type: 'SignatureInvalid',
            message: 'no cosign signature found',
            nonRetryable: true,
          });
        },
      },
      'SignatureInvalid',
      /no cosign signature found/,
    ],
  ] as const)
    it(`refuses ${what}: fails in checkRollbackTarget and never touches the overlay`, async () => {
      const { acts, calls } = mockActivities(over as Partial<PromotionActivities>);
      const r = await runRollback(ctx, acts, rollbackInput(pipeline()));
      assert.ok(r.error instanceof WorkflowFailedError, String(r.error));
      const cause = r.error.cause as ApplicationFailure;
      assert.equal(cause.type, type);
      assert.match(cause.message, message);
      assert.ok(!calls.some((c) => c.name === 'updateOverlay'));
      assert.deepEqual(
        r.status.steps.map((s) => [s.id, s.state]),
        [
          ['production/checkRollbackTarget', 'failed'],
          ['production/approvalGate', 'pending'],
          ['production/acquireEnvironment', 'pending'],
          ['production/updateOverlay', 'pending'],
          ['production/verificationGate', 'pending'],
          ['production/releaseEnvironment', 'pending'],
          ['recordRollback', 'pending'],
        ],
      );
      assert.equal(r.status.stage, 'failed');
    });
});
