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

  /** Lock ids already given back. */
  private readonly released = new Set<string>();

  /** Gives the environment back (a lock that is gone has nothing to release: that is not an error). */
  async release(environment: string): Promise<boolean> {
    const lockId = this.asked.get(environment);
    if (lockId === undefined) return false;
    this.asked.delete(environment);
    await this.releaseLock(lockId);
    return true;
  }

  private async releaseLock(lockId: string): Promise<void> {
    this.released.add(lockId);
    const { workflowId, runId } = workflowInfo();
    try {
      await getExternalWorkflowHandle(lockId).signal(releaseSignal, { promotionId: workflowId, runId });
    } catch (err) {
      log.info(`release of ${lockId}: ${(err as Error).message}`);
    }
  }

  /**
   * Releases every environment asked for, even while the promotion is being cancelled; also a lock that
   * answered while its requestEnvironment was cut short (its id is known only from the notice).
   */
  releaseAll(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      for (const env of [...this.asked.keys()]) await this.release(env);
      for (const [lockId, n] of this.notices)
        if (!this.released.has(lockId) && n.kind !== 'superseded') await this.releaseLock(lockId);
    });
  }
}
