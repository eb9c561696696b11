/**
 * One writer per environment, newest wins, never backwards: the pure decisions behind the environment
 * lock (src/workflows/environment-lock.ts) and the acquireEnvironment step. Which of two promotions is
 * newer (the artifact's push time in the source project, then start order), who is granted, queued or
 * superseded when a request arrives, and whether moving an overlay would go backwards. No Temporal here.
 */

/** `queue`: wait in arrival order. `supersede` (default): a waiting promotion gives way to a newer one. */
export type ConcurrencyPolicy = 'queue' | 'supersede';
export const CONCURRENCY_POLICIES = ['queue', 'supersede'] as const;
export const DEFAULT_CONCURRENCY: ConcurrencyPolicy = 'supersede';

/** What a promotion tells the lock of its environment when it asks to write there. */
export interface LockRequest {
  /** The promotion's workflow id and run id (the lock signals this run back). */
  promotionId: string;
  runId: string;
  /** The environment's name in the requester's pipeline (for messages). */
  environment: string;
  repository: string;
  /** Tag or digest the promotion started from. */
  reference: string;
  digest: string;
  /** `push_time` of the artifact in the source project; absent when Harbor did not say. */
  pushTime?: string;
  /** When the promotion started (the tie-break for equal push times). */
  startedAt: string;
  /** The requester's policy for this environment. */
  policy: ConcurrencyPolicy;
  /**
   * A rollback: a decision made when it started, so it ranks by its start time, not by the (older) push
   * time of the artifact it restores; otherwise any newer build waiting would supersede it at once.
   */
  rollback?: true;
}

/** One line naming a promotion: `myservice@1.0.2 (promote-myservice@1.0.2)`. */
export const describeRequest = (r: Pick<LockRequest, 'repository' | 'reference' | 'promotionId'>) =>
  `${r.repository}@${r.reference} (${r.promotionId})`;

/**
 * Lock workflow id for one environment of one repository: destination project + repository + overlay
 * file, on one task queue (the workers of that queue run the lock; promotions of every pipeline on the
 * queue that write the same overlay share it).
 */
export function environmentLockId(
  taskQueue: string,
  project: string,
  repository: string,
  overlayPath?: string,
): string {
  return `environment-lock:${taskQueue}:${project}/${repository}:${overlayPath ?? '-'}`;
}

const ms = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));

type Ranked = Pick<LockRequest, 'pushTime' | 'startedAt' | 'promotionId' | 'rollback'>;

/**
 * True when `a` is newer than `b`: a later push time in the source project (a rollback counts from its
 * start); equal or unknown times fall back to start order (later start is newer), then to the promotion
 * id (deterministic).
 */
export function isNewer(a: Ranked, b: Ranked): boolean {
  const rank = (r: Ranked) => ms(r.rollback ? r.startedAt : r.pushTime);
  const pa = rank(a);
  const pb = rank(b);
  if (!Number.isNaN(pa) && !Number.isNaN(pb) && pa !== pb) return pa > pb;
  const sa = ms(a.startedAt);
  const sb = ms(b.startedAt);
  if (!Number.isNaN(sa) && !Number.isNaN(sb) && sa !== sb) return sa > sb;
  return a.promotionId > b.promotionId;
}

/** The lock's state: who writes now, who waits (in grant order). */
export interface LockQueue {
  holder?: LockRequest;
  waiting: LockRequest[];
}

/** What the lock must tell promotions after a change. */
export type LockNotice =
  | { kind: 'granted'; lockId: string }
  | { kind: 'waiting'; lockId: string; holder: LockRequest }
  | { kind: 'superseded'; lockId: string; by: LockRequest };

export interface LockOutcome {
  queue: LockQueue;
  /** Promotions that leave the queue superseded, with the newer one that replaced them. */
  superseded: { request: LockRequest; by: LockRequest }[];
}

const same = (a: LockRequest, b: LockRequest) => a.promotionId === b.promotionId && a.runId === b.runId;

/**
 * A request arrives. A repeat from the same run (an activity retry) changes nothing. Waiting requests
 * whose policy is `supersede` and that are older than the newcomer leave the queue; a newcomer with
 * `supersede` that is older than one already waiting leaves at once (the holder is never superseded: it
 * is writing). Otherwise the newcomer waits at the end; `grant` hands the lock on.
 */
export function admit(q: LockQueue, req: LockRequest): LockOutcome {
  if ((q.holder && same(q.holder, req)) || q.waiting.some((w) => same(w, req)))
    return { queue: q, superseded: [] };
  const superseded: LockOutcome['superseded'] = [];
  const waiting: LockRequest[] = [];
  for (const w of q.waiting)
    if (w.policy === 'supersede' && isNewer(req, w)) superseded.push({ request: w, by: req });
    else waiting.push(w);
  const newer = waiting.filter((w) => isNewer(w, req));
  if (req.policy === 'supersede' && newer.length > 0) {
    const newest = newer.reduce((a, b) => (isNewer(b, a) ? b : a));
    superseded.push({ request: req, by: newest });
  } else waiting.push(req);
  return { queue: { ...(q.holder && { holder: q.holder }), waiting }, superseded };
}

/** A promotion is done with the environment (or gave up waiting): it leaves holder and queue. */
export function release(q: LockQueue, promotionId: string, runId?: string): LockQueue {
  const match = (r: LockRequest) =>
    r.promotionId === promotionId && (runId === undefined || r.runId === runId);
  return {
    ...(q.holder && !match(q.holder) && { holder: q.holder }),
    waiting: q.waiting.filter((w) => !match(w)),
  };
}

/** The next holder when the lock is free: the first waiting request (arrival order). */
export function nextHolder(q: LockQueue): { queue: LockQueue; granted?: LockRequest } {
  if (q.holder || q.waiting.length === 0) return { queue: q };
  const [granted, ...waiting] = q.waiting;
  return { queue: { holder: granted!, waiting }, granted: granted! };
}

// ---- never backwards ------------------------------------------------------------------------------------

export interface PinnedArtifact {
  digest: string;
  /** Push time in the source project; undefined when unknown (e.g. deleted there by retention). */
  pushTime?: string;
}

export type OverlayMove =
  | { kind: 'forward'; reason: string }
  | { kind: 'same'; reason: string }
  | { kind: 'regress'; reason: string };

/**
 * May an overlay that pins `current` be moved to `candidate`? Never to an artifact pushed earlier (in
 * the source project) than the one it pins now, unless the promotion is a rollback. When the current
 * artifact's push time is unknown there is nothing to compare: the move is allowed and says so.
 */
export function decideOverlayMove(
  current: PinnedArtifact | undefined,
  candidate: PinnedArtifact,
  opts: { rollback?: boolean; overlay: string; sourceProject: string },
): OverlayMove {
  if (!current) return { kind: 'forward', reason: `${opts.overlay} pins no digest yet` };
  if (current.digest === candidate.digest)
    return { kind: 'same', reason: `${opts.overlay} already pins ${candidate.digest}` };
  const pc = ms(current.pushTime);
  const pn = ms(candidate.pushTime);
  if (opts.rollback)
    return { kind: 'forward', reason: `rollback: moving ${opts.overlay} from ${current.digest} on purpose` };
  if (Number.isNaN(pc))
    return {
      kind: 'forward',
      reason: `${opts.overlay} pins ${current.digest}, which ${opts.sourceProject} does not know (no push time to compare)`,
    };
  if (Number.isNaN(pn))
    return {
      kind: 'forward',
      reason: `no push time for ${candidate.digest} in ${opts.sourceProject} to compare with ${current.digest}`,
    };
  if (pn < pc)
    return {
      kind: 'regress',
      reason: `${opts.overlay} pins ${current.digest} (pushed to ${opts.sourceProject} at ${current.pushTime}); ${candidate.digest} was pushed earlier, at ${candidate.pushTime}, so the overlay would move backwards. Promote a newer build, or roll back on purpose (a rollback promotion, input \`rollback: true\`)`,
    };
  return { kind: 'forward', reason: `${candidate.digest} is newer than ${current.digest}` };
}
