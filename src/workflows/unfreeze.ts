/**
 * `unfreeze`: an approver of an environment lifts its freeze windows for this one promotion, with a
 * reason (recorded). An update, so the CLI gets the answer at once: accepted, or refused with why. It is
 * accepted from the start until the environment's freeze check has passed, so an approver can lift it
 * before the promotion gets there (a hotfix during a known freeze).
 */
import { setHandler } from '@temporalio/workflow';
import { unfreezeUpdate, type UnfreezeAnswer, type UnfreezeArgs } from './messages.js';
import type { PromotionState } from './state.js';

const str = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/** Why this unfreeze cannot be taken, or undefined when it can. */
export function unfreezeProblem(st: PromotionState, a: Partial<UnfreezeArgs>): string | undefined {
  if (!a || !str(a.environment) || !str(a.approver)) return 'environment and approver are required';
  if (!str(a.reason)) return 'lifting a freeze needs a reason (--reason)';
  const rec = st.freezes[a.environment];
  if (!rec) {
    const frozen = Object.keys(st.freezes);
    return `environment "${a.environment}" has no freeze windows in this promotion${frozen.length ? ` (with windows: ${frozen.join(', ')})` : ''}`;
  }
  const env = st.envs.find((e) => e.name === a.environment)!;
  const approvers = env.approval?.approvers ?? [];
  if (approvers.length === 0)
    return `${a.environment} has no approvers, so nobody can lift its freeze; add \`approval.approvers\` to it in the pipeline`;
  if (!approvers.includes(a.approver))
    return `"${a.approver}" is not an approver for ${a.environment}; approvers: ${approvers.join(', ')}`;
  if (rec.unfrozen) return `the freeze of ${a.environment} is already lifted by ${rec.unfrozen.approver}`;
  const step = st.steps.find((s) => s.environment === a.environment && s.step === 'awaitFreezeWindow');
  if (step && step.state !== 'pending' && step.state !== 'waiting' && step.state !== 'running')
    return `the promotion is past the freeze check of ${a.environment} (${step.state}); nothing to lift`;
  return undefined;
}

export function unfreeze(st: PromotionState, a: UnfreezeArgs): UnfreezeAnswer {
  const rec = st.freezes[a.environment]!;
  rec.unfrozen = { approver: a.approver, reason: a.reason, at: new Date().toISOString(), via: 'update' };
  // The wait (if any) sees `unfrozen` and moves on; it marks its wait as ended.
  return {
    environment: a.environment,
    wasFrozen: st.stage === 'frozen' && st.currentEnvironment === a.environment,
  };
}

export function installUnfreezeHandler(st: PromotionState): void {
  setHandler(unfreezeUpdate, (a) => unfreeze(st, a), {
    validator: (a) => {
      const problem = unfreezeProblem(st, a);
      if (problem) throw new Error(problem); // rejects the update: nothing lands in history
    },
  });
}
