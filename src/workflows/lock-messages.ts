/**
 * The environment lock's messages, shared by the lock workflow, the promotion and the activity that
 * starts the lock: `acquire` and `release` go to the lock, `environmentLock` notices come back to the
 * promotion (granted, waiting behind someone, superseded). Definitions only.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LockNotice, LockQueue, LockRequest } from '../domain/environment-lock.js';

export const ENVIRONMENT_LOCK_WORKFLOW_TYPE = 'environmentLock';

export interface EnvironmentLockInput extends LockQueue {
  lockId: string;
  /** While someone waits, check this often that the holder still runs (a terminated one never releases). */
  checkIntervalMs: number;
  /** End after this long without holder or waiters (the next request starts it again). */
  idleMs: number;
  /** Continue as new once the history has this many events (default 2,000). */
  maxHistory?: number;
}

export interface ReleaseArgs {
  promotionId: string;
  runId?: string;
}

export const acquireSignal = defineSignal<[LockRequest]>('acquire');
export const releaseSignal = defineSignal<[ReleaseArgs]>('release');
/** Sent by the lock to the promotion. */
export const lockNoticeSignal = defineSignal<[LockNotice]>('environmentLock');
/** The lock's holder and queue (tests, debugging: `temporal workflow query --name queue`). */
export const lockQueueQuery = defineQuery<LockQueue>('queue');
