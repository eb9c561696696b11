/** Runs a rollback on a fresh worker with mocked activities (workflow tests and the replay scenarios). */
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { PromotionActivities } from '../../src/activities/contract.js';
import type { PipelineFile } from '../../src/domain/pipeline.js';
import type { PromotionRecord } from '../../src/domain/promotion.js';
import type { RollbackInput } from '../../src/domain/rollback.js';
import { statusQuery, type PromotionStatus } from '../../src/workflows/messages.js';
import { ROLLBACK_WORKFLOW_TYPE, rollbackStartOptions } from '../../src/workflows/rollback-start.js';
import type { startTestEnv } from './helpers.js';

export const OLD = `sha256:${'a1'.repeat(32)}`;
export const NEW = `sha256:${'b2'.repeat(32)}`;

/** Roll production of myservice back from NEW to OLD (1.0.1), as asked by dana. */
export const rollbackInput = (p: PipelineFile, extra: Partial<RollbackInput> = {}): RollbackInput => ({
  pipeline: p,
  repository: 'myservice',
  environment: 'production',
  to: OLD,
  tag: '1.0.1',
  from: NEW,
  promotedBy: 'promote-myservice@1.0.1',
  requestedBy: 'dana',
  ...extra,
});

let seq = 0;
export async function runRollback(
  ctx: Awaited<ReturnType<typeof startTestEnv>>,
  acts: PromotionActivities,
  input: RollbackInput,
  during?: (h: WorkflowHandle) => Promise<void>,
): Promise<{ result?: PromotionRecord; error?: unknown; status: PromotionStatus; handle: WorkflowHandle }> {
  const taskQueue = `rollback-${process.pid}-${++seq}`;
  const worker = await Worker.create({
    connection: ctx.env.nativeConnection,
    namespace: ctx.env.namespace ?? 'default',
    taskQueue,
    workflowBundle: ctx.bundle,
    activities: acts,
  });
  const opts = rollbackStartOptions(input);
  return worker.runUntil(async () => {
    const handle = await ctx.env.client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
      ...opts,
      workflowId: `${opts.workflowId}-${taskQueue}`, // unique per test: one server runs many
      taskQueue,
    });
    const [settled] = await Promise.all([
      handle.result().then(
        (result: PromotionRecord) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      during?.(handle),
    ]);
    return { handle, status: await handle.query(statusQuery), ...settled };
  });
}
