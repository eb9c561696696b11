/**
 * Optional scans (issue 10 item 7): `scan: false` skips the gate and the record says "not scanned";
 * `scan: { required: false }` passes with a warning when Harbor has no scanner, and still gates when it has
 * one. Both record the `optional-scans` patch marker; a default pipeline does not (old histories replay).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { approveUpdate, reportVerificationSignal } from '../../src/workflows/messages.js';
import {
  atGate,
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

async function approveAndReport(h: WorkflowHandle): Promise<void> {
  await waitForStatus(h, atGate('approval', 'production'));
  await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
  await waitForStatus(h, atGate('verification', 'production'));
  await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
}

/** The `optional-scans` patch markers (other patches, e.g. `environment-lock`, are recorded too). */
async function patchMarkers(h: WorkflowHandle): Promise<string[]> {
  const history = await h.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => JSON.stringify(e.markerRecordedEventAttributes?.details ?? {}))
    .filter((d) => {
      const data = /"data":"([^"]+)"/.exec(d)?.[1];
      return data !== undefined && Buffer.from(data, 'base64').toString().includes('"optional-scans"');
    });
}

/** harbor-sim / Harbor without any scanner: ensureScanned's non-retryable failure with `noScanner`. */
const noScanner = async (): Promise<never> => {
  throw ApplicationFailure.create({
    type: 'ScannerUnavailable',
    nonRetryable: true,
    message: "no scanner is available for project 'platform-dev'",
    details: [{ noScanner: true }],
  });
};

describe('optional scans', () => {
  it('scan: false everywhere: no ensureScanned call, completed, record says not scanned', async () => {
    const { acts, calls } = mockActivities();
    const r = await runPromotion(
      ctx,
      acts,
      input(testPipeline((p) => p.environments.forEach((e) => (e.scan = false)))),
      approveAndReport,
    );
    assert.equal(r.error, undefined, String(r.error));
    assert.ok(!calls.some((c) => c.name === 'ensureScanned'));
    assert.deepEqual(Object.keys(r.result!.notScanned ?? {}), ['dev', 'staging', 'production']);
    assert.match(r.result!.notScanned!.dev!, /not scanned: environments\[0\]\.scan is false/);
    assert.deepEqual(r.result!.scans, {});
    assert.equal(r.status.steps.find((s) => s.id === 'dev/awaitScanAndGate')!.state, 'skipped');
    // The destinations still check the pull policy after the copy.
    assert.ok(calls.some((c) => c.name === 'checkPullable'));
    assert.equal(
      r.status.steps.find((s) => s.id === 'staging/rescanAndDetectQuarantine')!.state,
      'succeeded',
    );
    assert.ok((await patchMarkers(r.handle)).length > 0, 'optional-scans marker recorded');
  });

  it('scan.required false without a scanner: passes with a warning in the record', async () => {
    const { acts } = mockActivities({ ensureScanned: noScanner });
    const r = await runPromotion(
      ctx,
      acts,
      input(testPipeline((p) => p.environments.forEach((e) => (e.scan = { required: false })))),
      approveAndReport,
    );
    assert.equal(r.error, undefined, String(r.error));
    assert.match(r.result!.notScanned!.dev!, /no scanner for platform-dev.*scan\.required is false/);
    assert.match(r.status.steps.find((s) => s.id === 'dev/awaitScanAndGate')!.detail!, /warning/);
    // No scanner: Harbor's prevent_vul blocks nothing, so no block is predicted for the pull check.
    assert.equal(
      r.status.steps.find((s) => s.id === 'staging/rescanAndDetectQuarantine')!.detail,
      'pullable',
    );
  });

  it('scan.required false with a scanner still gates on the findings', async () => {
    const { acts, calls } = mockActivities({ ensureScanned: async () => scanOf({ Critical: 1 }) });
    const r = await runPromotion(
      ctx,
      acts,
      input(testPipeline((p) => (p.environments[0]!.scan = { required: false }))),
    );
    assert.equal(failureOf(r.error).type, 'VulnerabilityPolicyViolation');
    assert.ok(!calls.some((c) => c.name === 'signImage'));
  });

  it('default (required) without a scanner fails with ScannerUnavailable and records no marker', async () => {
    const { acts } = mockActivities({ ensureScanned: noScanner });
    const r = await runPromotion(ctx, acts, input(testPipeline()));
    const f = failureOf(r.error);
    assert.equal(f.type, 'ScannerUnavailable');
    assert.deepEqual(await patchMarkers(r.handle), []);
  });
});
