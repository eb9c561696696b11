/**
 * The step order is written once (src/workflows/steps/table.ts). These tests hold the plan, `status` and
 * the execution to it: a promotion on the local test server must run its steps in exactly the order its
 * `status` listed them before it started.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { PromotionActivities } from '../../src/activities/contract.js';
import { PipelineSchema } from '../../src/domain/pipeline.js';
import { plannedEnvironments, PromotionInputSchema, STEP_NAMES } from '../../src/domain/promotion.js';
import { approveUpdate, reportVerificationSignal, statusQuery } from '../../src/workflows/messages.js';
import {
  DESTINATION_STEPS,
  FINAL_STEPS,
  planRollback,
  planSteps,
  ROLLBACK_STEPS,
  SOURCE_STEPS,
} from '../../src/workflows/steps/table.js';
import {
  atGate,
  input,
  mockActivities,
  runPromotion,
  startTestEnv,
  testPipeline,
  waitForStatus,
} from './helpers.js';

/** The runbook order for the three-environment test pipeline, written out as a reader expects it. */
const RUNBOOK = [
  'dev/resolveAndPin',
  'dev/awaitScanAndGate',
  'dev/sign',
  'staging/acquireEnvironment',
  'staging/copyToEnvironment',
  'staging/rescanAndDetectQuarantine',
  'staging/checkDigestAndSignature',
  'staging/updateOverlay',
  'staging/verificationGate',
  'staging/soak',
  'staging/attestEnvironment',
  'staging/releaseEnvironment',
  'production/approvalGate',
  'production/acquireEnvironment',
  'production/copyToEnvironment',
  'production/rescanAndDetectQuarantine',
  'production/checkDigestAndSignature',
  'production/updateOverlay',
  'production/verificationGate',
  'production/attestEnvironment',
  'production/releaseEnvironment',
  'proveFinalState',
];

describe('step order', () => {
  it('every step name is in exactly one table row, and every table row has a known name', () => {
    const rows = [...SOURCE_STEPS, ...DESTINATION_STEPS, ...FINAL_STEPS].map((s) => s.name);
    // A rollback reuses the destination's gates and overlay update; its own steps are only in its table.
    const promotionOnly = rows.filter((n) => ROLLBACK_STEPS.every((r) => r.name !== n));
    const rollbackOnly = ROLLBACK_STEPS.map((s) => s.name).filter((n) => !rows.includes(n));
    assert.deepEqual([...rows, ...rollbackOnly].sort(), [...STEP_NAMES].sort());
    assert.ok(promotionOnly.length > 0 && new Set(ROLLBACK_STEPS).size === ROLLBACK_STEPS.length);
  });

  it('a rollback plan: check the target, the gate, the lock around overlay and verification, the record', () => {
    const envs = PipelineSchema.parse(testPipeline()).environments;
    const plan = [
      'production/checkRollbackTarget',
      'production/approvalGate',
      'production/acquireEnvironment',
      'production/updateOverlay',
      'production/verificationGate',
      'production/releaseEnvironment',
      'recordRollback',
    ];
    assert.deepEqual(
      planRollback(envs[2]!, 2).map((p) => p.id),
      plan,
    );
    // A rollback started before the environment locks (no `environment-lock` marker) plans without them.
    assert.deepEqual(
      planRollback(envs[2]!, 2, { environmentLock: false }).map((p) => p.id),
      plan.filter((id) => !/\/(acquire|release)Environment$/.test(id)),
    );
  });

  it('the plan from the table is the runbook order, optional steps only where configured', () => {
    const envs = PipelineSchema.parse(testPipeline()).environments;
    assert.deepEqual(
      planSteps(envs).map((p) => p.id),
      RUNBOOK,
    );
    // Without approval, overlay, verification or soak, a destination has only the mandatory steps.
    const bare = PipelineSchema.parse(
      testPipeline(
        (p) => (p.environments = p.environments.slice(0, 2).map(({ name, project }) => ({ name, project }))),
      ),
    ).environments;
    assert.deepEqual(
      planSteps(bare).map((p) => p.id),
      [
        'dev/resolveAndPin',
        'dev/awaitScanAndGate',
        'dev/sign',
        'staging/acquireEnvironment',
        'staging/copyToEnvironment',
        'staging/rescanAndDetectQuarantine',
        'staging/checkDigestAndSignature',
        'staging/attestEnvironment',
        'staging/releaseEnvironment',
        'proveFinalState',
      ],
    );
    // Freeze windows (the environment's own or the pipeline's) add the freeze check before the lock and copy
    // (a frozen promotion does not hold the environment).
    const frozen = PipelineSchema.parse(
      testPipeline((p) => {
        p.environments[2]!.freeze = [
          { cron: '0 18 * * 5', duration: '64h', timeZone: 'UTC', reason: 'weekend' },
        ];
      }),
    ).environments;
    const withFreeze = [...RUNBOOK];
    withFreeze.splice(RUNBOOK.indexOf('production/acquireEnvironment'), 0, 'production/awaitFreezeWindow');
    assert.deepEqual(
      planSteps(frozen).map((p) => p.id),
      withFreeze,
    );
    // Required evidence is checked after the freeze wait and before the lock and the copy.
    const required = PipelineSchema.parse(
      testPipeline((p) => {
        p.environments[2]!.requires = ['sbom'];
      }),
    ).environments;
    const withEvidence = [...RUNBOOK];
    withEvidence.splice(
      RUNBOOK.indexOf('production/acquireEnvironment'),
      0,
      'production/checkRequiredEvidence',
    );
    assert.deepEqual(
      planSteps(required).map((p) => p.id),
      withEvidence,
    );
    // A promotion started before the environment locks (no `environment-lock` marker) plans without them.
    assert.deepEqual(
      planSteps(envs, { environmentLock: false }).map((p) => p.id),
      RUNBOOK.filter((id) => !/\/(acquire|release)Environment$/.test(id)),
    );
    // A target environment cuts the plan after it.
    const toStaging = PromotionInputSchema.parse(input(testPipeline(), { targetEnvironment: 'staging' }));
    assert.deepEqual(
      planSteps(plannedEnvironments(toStaging)).map((p) => p.id),
      [...RUNBOOK.filter((id) => !id.startsWith('production/'))],
    );
  });

  describe('on the test server', () => {
    let ctx: Awaited<ReturnType<typeof startTestEnv>>;
    before(async () => {
      ctx = await startTestEnv();
    });
    after(async () => {
      await ctx?.env.teardown();
    });

    it('status lists the steps in the order they run, and they run in that order', async () => {
      const { acts } = mockActivities();
      // Each activity asks the workflow which step is running while it is called: that is the executed
      // sequence, seen from outside, independent of timestamps.
      const running: string[] = [];
      const probed = Object.fromEntries(
        Object.entries(acts).map(([name, fn]) => [
          name,
          // The input check runs before any step (the status it could read has none running).
          name === 'checkPromotionInput'
            ? fn
            : async (i: unknown) => {
                const id = Context.current().info.workflowExecution!.workflowId; // always set for a workflow's activity
                const s = await ctx.env.client.workflow.getHandle(id).query(statusQuery);
                // Not asserted here: a failing activity would be retried, not fail the test.
                const now = s.steps.filter((x) => x.state === 'running' || x.state === 'waiting');
                running.push(now.map((x) => x.id).join(' + '));
                return (fn as (i: unknown) => Promise<unknown>)(i);
              },
        ]),
      ) as unknown as PromotionActivities;
      let planned: string[] = [];
      const r = await runPromotion(ctx, probed, input(testPipeline()), async (h) => {
        planned = (await h.query(statusQuery)).steps.map((s) => s.id);
        await waitForStatus(h, atGate('approval', 'production'));
        running.push('production/approvalGate'); // a gate calls no activity: its own status says it waits
        await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
        await waitForStatus(h, atGate('verification', 'production'));
        running.push('production/verificationGate');
        await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
      });
      assert.equal(r.error, undefined, String(r.error));

      // status before anything ran = the table's plan = the runbook.
      assert.deepEqual(planned, RUNBOOK);
      // Every planned step ran and succeeded; nothing ran that was not planned.
      assert.deepEqual(
        r.result!.steps.map((s) => [s.id, s.state]),
        RUNBOOK.map((id) => [id, 'succeeded']),
      );
      // Executed sequence (steps that call activities, plus the gates seen waiting) = the plan's order.
      const executed = running.filter((id, i) => id !== running[i - 1]);
      assert.deepEqual(
        executed,
        RUNBOOK.filter((id) => executed.includes(id)),
      );
      assert.ok(!executed.includes('staging/soak')); // a timer: covered by the start times below
      // Start times never go backwards along the plan (workflow time; a step starts after the last ended).
      const started = r.result!.steps.map((s) => s.startedAt!);
      for (let i = 1; i < started.length; i++)
        assert.ok(started[i - 1]! <= started[i]!, `${RUNBOOK[i - 1]} started after ${RUNBOOK[i]}`);
    });
  });
});
