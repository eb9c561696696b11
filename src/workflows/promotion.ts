/**
 * promoteImage: the seed runbook ("Publish & Promote") as one durable workflow. In the source project it
 * resolves and pins the digest, gates on the scan and signs; then for each later environment it
 * approves, copies, rescans and detects quarantine, checks digest and signature, updates the overlay,
 * verifies and soaks; finally it proves the same signed digest is in every project. The steps and their
 * order live in steps/table.ts: the plan shown by `status` and this execution both come from it.
 * After resolveAndPin only the pinned digest is used, so a tag moved meanwhile changes nothing.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { PromotionInput, PromotionRecord, ValidPromotionInput } from '../domain/promotion.js';
import { plannedEnvironments } from '../domain/promotion-rules.js';
import { installHandlers } from './approvals.js';
import { checkedPromotionInput } from './input-check.js';
import { runPlan } from './run-plan.js';
import { installStartingHandlers } from './starting.js';
import { installUnfreezeHandler } from './unfreeze.js';
import { PromotionState } from './state.js';
import { PromotionRun } from './steps/context.js';
import { planSteps } from './steps/table.js';

export type { PromotionInput, PromotionRecord } from '../domain/promotion.js';
export { describeFailure } from './steps/failure.js';

export async function promoteImage(raw: PromotionInput): Promise<PromotionRecord> {
  let started!: (st: PromotionState) => void;
  const ready = new Promise<PromotionState>((r) => (started = r));
  // While the worker checks the input, the handlers answer from the plan of the input as it came.
  const asCame = () => initialState(raw as ValidPromotionInput, true).st;
  const input = await checkedPromotionInput(raw, () =>
    installStartingHandlers(asCame, ready, { unfreeze: true }),
  );
  // Versioned: promotions started before the environment locks plan without their steps (table.ts).
  const { st, envs, plan } = initialState(input, patched('environment-lock'));
  const run = new PromotionRun(st, input, envs);
  installHandlers(st);
  installUnfreezeHandler(st);
  run.locks.install();
  started(st);
  st.publish();
  return runPlan(run, plan, { completedEvent: 'completed' });
}

function initialState(input: ValidPromotionInput, environmentLock: boolean) {
  const envs = plannedEnvironments(input);
  const plan = planSteps(envs, { environmentLock });
  return { st: new PromotionState(workflowInfo().workflowId, input, envs, plan), envs, plan };
}
