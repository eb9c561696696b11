/**
 * The loop both workflows (promoteImage, rollbackImage) run over their plan, and what happens at the end:
 * completed → announce, let handlers finish, settle notifications, return the record; failed or cancelled →
 * mark the running steps, give back every environment lock, announce the failure, settle, rethrow. One
 * place, so a promotion and a rollback cannot end differently. Workflow code.
 */
import { allHandlersFinished, CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { NotifyEvent } from '../domain/notify.js';
import type { PromotionRecord } from '../domain/promotion.js';
import { notify, settleNotifications } from './notify.js';
import type { PromotionRun } from './steps/context.js';
import { describeFailure } from './steps/failure.js';
import type { PlannedStep } from './steps/table.js';

export async function runPlan(
  run: PromotionRun,
  plan: readonly PlannedStep[],
  opts: { completedEvent: NotifyEvent },
): Promise<PromotionRecord> {
  const st = run.st;
  const envs = run.envs;
  try {
    for (const { unit, env, index } of plan) {
      const previous = envs.indexOf(env) > 0 ? envs[envs.indexOf(env) - 1] : undefined;
      await unit.execute({ run, env, index, ...(previous && { previous }) });
    }
    st.stage = 'completed';
    st.publish();
    notify(run, opts.completedEvent, plan[plan.length - 1]?.env);
    await condition(allHandlersFinished);
    await settleNotifications(run);
    return run.record();
  } catch (err) {
    const cancelled = isCancellation(err);
    st.stage = cancelled ? 'cancelled' : 'failed';
    for (const s of st.steps)
      if (s.state === 'running' || s.state === 'waiting') st.finish(s.id, cancelled ? 'cancelled' : 'failed');
    const f = describeFailure(err);
    st.failure = cancelled ? 'cancelled' : `${f.type}: ${f.message}`;
    st.publish();
    // A failed or cancelled run never leaves an environment locked (or a request queued).
    await run.locks.releaseAll();
    if (!cancelled) {
      // A failure with its own event (the lock's `Superseded`) is announced as that, not as `failed`.
      notify(run, f.type === 'Superseded' ? 'superseded' : 'failed', st.currentEnvironment, {
        failure: st.failure,
        failureType: f.type,
      });
      // In a scope the cancellation cannot reach: the deliveries already under way finish either way.
      await CancellationScope.nonCancellable(() => settleNotifications(run));
    }
    throw err;
  }
}
