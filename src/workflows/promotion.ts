/**
 * promoteImage: the seed runbook ("Publish & Promote") as one durable workflow. In the source project it
 * resolves and pins the digest, gates on the scan and signs; then for each later environment it
 * approves, copies, rescans and detects quarantine, checks digest and signature, updates the overlay,
 * verifies and soaks; finally it proves the same signed digest is in every project. The steps and their
 * order live in steps/table.ts: the plan shown by `status` and this execution both come from it.
 * After resolveAndPin only the pinned digest is used, so a tag moved meanwhile changes nothing.
 */
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../domain/failures.js';
import { durationLimitProblems } from '../domain/pipeline.js';
import {
  checkPromotionInput,
  plannedEnvironments,
  type PromotionInput,
  type PromotionRecord,
  type ValidPromotionInput,
} from '../domain/promotion.js';
import { installHandlers } from './approvals.js';
import { runPlan } from './run-plan.js';
import { installUnfreezeHandler } from './unfreeze.js';
import { PromotionState } from './state.js';
import { PromotionRun } from './steps/context.js';
import { planSteps } from './steps/table.js';

export type { PromotionInput, PromotionRecord } from '../domain/promotion.js';
export { describeFailure } from './steps/failure.js';

export async function promoteImage(raw: PromotionInput): Promise<PromotionRecord> {
  const input = validated(raw);
  const envs = plannedEnvironments(input);
  // Versioned: promotions started before the environment locks plan without their steps (table.ts).
  const environmentLock = patched('environment-lock');
  const plan = planSteps(envs, { environmentLock });
  const st = new PromotionState(workflowInfo().workflowId, input, envs, plan);
  const run = new PromotionRun(st, input, envs);
  installHandlers(st);
  installUnfreezeHandler(st);
  run.locks.install();
  st.publish();
  return runPlan(run, plan, { completedEvent: 'completed' });
}

function validated(raw: PromotionInput): ValidPromotionInput {
  let r = checkPromotionInput(raw, { limits: false });
  // Promotions started before the duration limits keep running; a new one out of them fails here (the
  // marker is recorded only for such an input, so valid inputs' histories do not change).
  if (r.ok && durationLimitProblems(r.input.pipeline).length > 0 && patched('duration-limits'))
    r = checkPromotionInput(raw);
  if (r.ok) return r.input;
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid promotion input:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`,
  });
}
