/**
 * The promotion's side of the environment locks: which locks it asked for (and so must give back), the
 * latest notice from each, and the release. Used by the acquireEnvironment/releaseEnvironment steps and
 * by the workflow's failure path, which releases everything in a non-cancellable scope so a failed or
 * cancelled promotion never leaves an environment locked. Workflow code: deterministic, no I/O.
 */
import {
  CancellationScope,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LockNotice } from '../domain/environment-lock.js';
import { lockNoticeSignal, releaseSignal } from './lock-messages.js';

export class HeldEnvironments {
  /** Environment name → lock id, from the request until the release. */
  readonly asked = new Map<string, string>();
  /** The latest notice per lock id. */
  readonly notices = new Map<string, LockNotice>();

  /** Installs the `environmentLock` signal handler (a notice may come before requestEnvironment returns). */
  install(): void {
    setHandler(lockNoticeSignal, (n) => {
      this.notices.set(n.lockId, n);
    });
  }

  /** Gives the environment back (a lock that is gone has nothing to release: that is not an error). */
  async release(environment: string): Promise<boolean> {
    const lockId = this.asked.get(environment);
    if (lockId === undefined) return false;
    this.asked.delete(environment);
    const { workflowId, runId } = workflowInfo();
    try {
      await getExternalWorkflowHandle(lockId).signal(releaseSignal, { promotionId: workflowId, runId });
    } catch (err) {
      log.info(`release of ${lockId}: ${(err as Error).message}`);
    }
    return true;
  }

  /** Releases every environment asked for, even while the promotion is being cancelled. */
  releaseAll(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      for (const env of [...this.asked.keys()]) await this.release(env);
    });
  }
}
