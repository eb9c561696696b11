/**
 * promoteImage: the seed runbook ("Publish & Promote") as one durable workflow. In the source project it
 * resolves and pins the digest, gates on the scan and signs; then for each later environment it
 * approves, copies, rescans and detects quarantine, checks digest and signature, updates the overlay,
 * verifies and soaks; finally it proves the same signed digest is in every project. The steps and their
 * order live in steps/table.ts: the plan shown by `status` and this execution both come from it.
 * After resolveAndPin only the pinned digest is used, so a tag moved meanwhile changes nothing.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../domain/failures.js';
import {
  checkPromotionInput,
  plannedEnvironments,
  type PromotionInput,
  type PromotionRecord,
  type ValidPromotionInput,
} from '../domain/promotion.js';
import { installHandlers } from './approvals.js';
import { PromotionState } from './state.js';
import { PromotionRun } from './steps/context.js';
import { describeFailure } from './steps/failure.js';
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
  run.locks.install();
  st.publish();
  try {
    for (const { unit, env, index } of plan)
      await unit.execute({ run, env, index, ...(index > 0 && { previous: envs[index - 1] }) });
    st.stage = 'completed';
    st.publish();
    await condition(allHandlersFinished);
    return run.record();
  } catch (err) {
    st.stage = isCancellation(err) ? 'cancelled' : 'failed';
    for (const s of st.steps)
      if (s.state === 'running' || s.state === 'waiting')
        st.finish(s.id, isCancellation(err) ? 'cancelled' : 'failed');
    const f = describeFailure(err);
    st.failure = isCancellation(err) ? 'cancelled' : `${f.type}: ${f.message}`;
    st.publish();
    // A failed or cancelled promotion never leaves an environment locked (or a request queued).
    await run.locks.releaseAll();
    throw err;
  }
}

function validated(raw: PromotionInput): ValidPromotionInput {
  const r = checkPromotionInput(raw);
  if (r.ok) return r.input;
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid promotion input:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`,
  });
}
