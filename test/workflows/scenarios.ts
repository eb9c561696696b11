/**
 * Representative promotions, used by the history-size test and by record-histories.ts (which writes the
 * replay fixtures in test/fixtures/histories/). Keep them deterministic in shape: same steps every run.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { approveUpdate, rejectUpdate, reportVerificationSignal } from '../../src/workflows/messages.js';
import {
  atGate,
  input,
  mockActivities,
  notReady,
  runPromotion,
  scanOf,
  testPipeline,
  waitForStatus,
} from './helpers.js';

type Ctx = Parameters<typeof runPromotion>[0];

/** Scans that need `rounds` polls: the activity throws NotReady and is retried (toolchain.md D5). */
export function slowScans(rounds: number) {
  return async (i: { notBefore?: string }) => {
    if (Context.current().info.attempt <= rounds) throw notReady();
    return scanOf({ Low: 2 }, i.notBefore);
  };
}

export const scenarios = {
  /** dev → staging → production, approved by alice, production verified by an external report. */
  async happy(ctx: Ctx, scanRounds = 0) {
    const { acts } = mockActivities(scanRounds ? { ensureScanned: slowScans(scanRounds) } : {});
    return runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, {
        environment: 'production',
        passed: true,
        url: 'https://ci.test/1',
      });
    });
  },
  async rejected(ctx: Ctx) {
    const { acts } = mockActivities();
    return runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await h.executeUpdate(rejectUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'freeze' }],
      });
    });
  },
  /** `scan: false` in dev and production, `{ required: false }` without a scanner in staging (optional-scans patch). */
  async optionalScans(ctx: Ctx) {
    const { acts } = mockActivities({
      ensureScanned: async () => {
        throw ApplicationFailure.create({
          type: 'ScannerUnavailable',
          nonRetryable: true,
          message: 'no scanner is available',
          details: [{ noScanner: true }],
        });
      },
    });
    const pipeline = testPipeline((p) => {
      p.environments[0]!.scan = false;
      p.environments[1]!.scan = { required: false };
      p.environments[2]!.scan = false;
    });
    return runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
  },
  async quarantined(ctx: Ctx) {
    const { acts } = mockActivities({
      checkPullable: async ({ artifact }) => {
        if (artifact.project === 'platform-staging')
          throw ApplicationFailure.nonRetryable('The image is not signed by cosign.', 'Quarantined');
        return { pullable: true };
      },
    });
    return runPromotion(ctx, acts, input(testPipeline()));
  },
};
