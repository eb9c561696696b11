/**
 * environmentLock: one workflow per environment of one repository (id from destination project,
 * repository and overlay file; src/domain/environment-lock.ts) that lets one promotion at a time write
 * there. Promotions ask with `acquire` (signal-with-start from the requestEnvironment activity) and give
 * it back with `release`; the lock answers each by signalling the promotion's run (`environmentLock`:
 * granted, waiting behind someone, or superseded by a newer one). Who waits and who is superseded is
 * decided by the pure functions in the domain module.
 *
 * A holder that was terminated never releases: while someone waits, the lock asks every checkIntervalMs
 * whether the holder's run is still running (isWorkflowRunning) and hands the lock on when it is not.
 * A waiter that ended is skipped when its grant cannot be delivered. The lock continues as new when its
 * history grows, and ends after idleMs without holder or waiters (the next request starts it again).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PromotionActivities } from '../activities/contract.js';
import {
  admit,
  describeRequest,
  nextHolder,
  release,
  type LockNotice,
  type LockQueue,
  type LockRequest,
} from '../domain/environment-lock.js';
import {
  acquireSignal,
  lockNoticeSignal,
  lockQueueQuery,
  releaseSignal,
  type EnvironmentLockInput,
} from './lock-messages.js';

export { ENVIRONMENT_LOCK_WORKFLOW_TYPE } from './lock-messages.js';

const { isWorkflowRunning } = proxyActivities<Pick<PromotionActivities, 'isWorkflowRunning'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Continue as new well before Temporal's history limits (each grant or check adds a few events). */
const MAX_HISTORY = 2_000;

export async function environmentLock(input: EnvironmentLockInput): Promise<void> {
  const { lockId } = input;
  let q: LockQueue = { ...(input.holder && { holder: input.holder }), waiting: input.waiting };
  const outbox: { to: LockRequest; notice: LockNotice }[] = [];
  let changed = false;

  setHandler(acquireSignal, (req) => {
    const r = admit(q, req);
    const queued = r.queue !== q && r.queue.waiting.some((w) => w.promotionId === req.promotionId);
    q = r.queue;
    for (const s of r.superseded)
      outbox.push({ to: s.request, notice: { kind: 'superseded', lockId, by: s.by } });
    if (queued && q.holder) outbox.push({ to: req, notice: { kind: 'waiting', lockId, holder: q.holder } });
    changed = true;
  });
  setHandler(releaseSignal, ({ promotionId, runId }) => {
    q = release(q, promotionId, runId);
    changed = true;
  });
  setHandler(lockQueueQuery, () => q);

  /** Signals one promotion run; false when it cannot be delivered (the run has ended). */
  const tell = async (to: LockRequest, notice: LockNotice): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(to.promotionId, to.runId).signal(lockNoticeSignal, notice);
      return true;
    } catch (err) {
      log.info(
        `${lockId}: ${describeRequest(to)} did not take the ${notice.kind} notice: ${(err as Error).message}`,
      );
      return false;
    }
  };

  for (;;) {
    changed = false;
    // Hand the lock on while it is free and someone waits; a waiter that ended is skipped.
    for (let n = nextHolder(q); n.granted; n = nextHolder(q)) {
      q = n.queue;
      if (await tell(n.granted, { kind: 'granted', lockId })) {
        for (const w of q.waiting)
          outbox.push({ to: w, notice: { kind: 'waiting', lockId, holder: n.granted } });
        break;
      }
      q = release(q, n.granted.promotionId, n.granted.runId);
    }
    while (outbox.length > 0) {
      const m = outbox.shift()!;
      await tell(m.to, m.notice);
    }
    if (changed) continue;
    if (!q.holder && q.waiting.length === 0) {
      if (await condition(() => changed, input.idleMs)) continue;
      await condition(allHandlersFinished);
      return; // idle: a later acquire starts the lock again (signal-with-start)
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.maxHistory ?? MAX_HISTORY)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof environmentLock>({ ...input, holder: q.holder, waiting: q.waiting });
    }
    // Nobody waits: nothing to check. Someone waits: make sure the holder is still alive now and then.
    const woke =
      q.waiting.length > 0
        ? await condition(() => changed, input.checkIntervalMs)
        : (await condition(() => changed), true);
    const holder = q.holder;
    if (!woke && holder) {
      const r = await isWorkflowRunning({ workflowId: holder.promotionId, runId: holder.runId });
      if (!r.running && q.holder === holder) {
        log.warn(
          `${lockId}: holder ${describeRequest(holder)} is ${r.status} without releasing; handing the lock on`,
        );
        q = release(q, holder.promotionId, holder.runId);
      }
    }
  }
}
