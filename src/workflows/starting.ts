/**
 * The handlers of a promotion or rollback while the worker checks its input (input-check.ts). The first
 * workflow task ends before the promotion's state exists, and a client may ask at once (`start`, then
 * `status`, or `unfreeze` for a hotfix during a known freeze), so:
 * - `status` answers from the state the input as it came gives (its plan, nothing started);
 * - an update is validated against that state (refused at once with the same words as later), and once
 *   accepted it is applied to the promotion's state when that exists, its rules asked again there;
 * - signals need nothing: the SDK keeps them until their handlers are set.
 * The promotion's own handlers (approvals.ts, unfreeze.ts) replace these; a rejected input removes them.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { approvalProblem, approveByUpdate, refuse, rejectByUpdate } from './approvals.js';
import { approveUpdate, rejectUpdate, statusQuery, unfreezeUpdate } from './messages.js';
import type { PromotionState } from './state.js';
import { unfreeze, unfreezeProblem } from './unfreeze.js';

/** Fails an accepted update (it lands in history, as accepted updates do). */
function fail(problem: string | undefined): void {
  if (problem) throw ApplicationFailure.create({ message: problem, nonRetryable: true });
}

/** Installs them; returns how to remove them. */
export function installStartingHandlers(
  provisional: () => PromotionState,
  ready: Promise<PromotionState>,
  o: { unfreeze: boolean },
): () => void {
  const asCame = () => {
    try {
      return provisional();
    } catch (e) {
      throw new Error(`the worker is checking this workflow's input, which looks malformed: ${String(e)}`);
    }
  };
  setHandler(statusQuery, () => asCame().status());
  setHandler(
    approveUpdate,
    async (a) => {
      const st = await ready;
      fail(approvalProblem(st, 'approve', a));
      return approveByUpdate(st, a);
    },
    { validator: (a) => refuse(approvalProblem(asCame(), 'approve', a)) },
  );
  setHandler(
    rejectUpdate,
    async (a) => {
      const st = await ready;
      fail(approvalProblem(st, 'reject', a));
      return rejectByUpdate(st, a);
    },
    { validator: (a) => refuse(approvalProblem(asCame(), 'reject', a)) },
  );
  if (o.unfreeze)
    setHandler(
      unfreezeUpdate,
      async (a) => {
        const st = await ready;
        fail(unfreezeProblem(st, a));
        return unfreeze(st, a);
      },
      { validator: (a) => refuse(unfreezeProblem(asCame(), a)) },
    );
  return () => {
    setHandler(statusQuery, undefined);
    setHandler(approveUpdate, undefined);
    setHandler(rejectUpdate, undefined);
    if (o.unfreeze) setHandler(unfreezeUpdate, undefined);
  };
}
