/**
 * rollbackImage: `harbor-promote rollback` as one durable workflow. It re-points one environment's overlay
 * to a digest that was promoted there before: check the digest (in the project, pullable, signed), pass the
 * environment's approval gate, update the overlay (a commit that says rollback, from which digest to which),
 * run the environment's verification, and record itself as a rollback. The steps are the promotion's units
 * run by the same step runner, in the order of ROLLBACK_STEPS (steps/table.ts); `status`, `watch`,
 * `approve` and `reject` work on it as on a promotion (same state, same handlers).
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { PromotionRecord, ValidPromotionInput } from '../domain/promotion.js';
import type { RollbackInput, ValidRollbackInput } from '../domain/rollback.js';
import { rollbackEnvironment } from '../domain/rollback-rules.js';
import { installHandlers } from './approvals.js';
import { checkedRollbackInput } from './input-check.js';
import { PromotionState } from './state.js';
import { PromotionRun } from './steps/context.js';
import { runPlan } from './run-plan.js';
import { installStartingHandlers } from './starting.js';
import { planRollback } from './steps/table.js';

export type { RollbackInput } from '../domain/rollback.js';

export async function rollbackImage(raw: RollbackInput): Promise<PromotionRecord> {
  let started!: (st: PromotionState) => void;
  const ready = new Promise<PromotionState>((r) => (started = r));
  // While the worker checks the input, the handlers answer from the plan of the input as it came.
  const asCame = () => initialState(raw as ValidRollbackInput, true).st;
  const input = await checkedRollbackInput(raw, () =>
    installStartingHandlers(asCame, ready, { unfreeze: false }),
  );
  // Versioned: rollbacks started before the environment locks plan without their steps (table.ts).
  const { st, as, env, plan } = initialState(input, patched('environment-lock'));
  st.retryCommand = `harbor-promote rollback ${input.repository} --env ${env.name} --to ${input.to} --pipeline <file>`;
  const run = new PromotionRun(st, as, [env]);
  run.rollback = {
    ...(input.requestedBy && { requestedBy: input.requestedBy }),
    ...(input.from && { from: input.from }),
    ...(input.promotedBy && { promotedBy: input.promotedBy }),
  };
  run.rec.kind = 'rollback';
  run.rec.digest = input.to;
  installHandlers(st);
  run.locks.install();
  started(st);
  st.pin(input.to); // the digest is known from the start: status and visibility show it
  return runPlan(run, plan, { completedEvent: 'rolled-back' });
}

function initialState(input: ValidRollbackInput, environmentLock: boolean) {
  const { env, index } = rollbackEnvironment(input.pipeline, input.environment);
  // The promotion's view of this run: the steps read the repository, the tag and the requester from it.
  const as: ValidPromotionInput = {
    pipeline: input.pipeline,
    repository: input.repository,
    reference: input.tag ?? input.to,
    targetEnvironment: env.name,
    rollback: true, // the environment lock lets it move the overlay back
    ...(input.requestedBy && { requestedBy: input.requestedBy }),
  };
  const plan = planRollback(env, index, { environmentLock });
  return { st: new PromotionState(workflowInfo().workflowId, as, [env], plan), as, env, plan };
}
