/**
 * Activity proxies with per-activity timeouts and retry policies. Every call goes through `call()`, which
 * adds a one-line `summary` for the UI (executeWithOptions merges it over these options).
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { PromotionActivities } from '../activities/contract.js';
import { durationMs } from '../domain/duration.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../domain/failures.js';
import type { Environment } from '../domain/pipeline.js';
import { scanSettings } from '../domain/pipeline-rules.js';

/** Network errors, 5xx, 429: retried with backoff; the typed failures (failures.ts) are not. */
const RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/** Quick REST calls. scheduleToClose bounds the retries of an outage to something a human notices. */
const QUICK: ActivityOptions = { startToCloseTimeout: '1m', scheduleToCloseTimeout: '15m', retry: RETRY };
/** Calls that run a tool (cosign, skopeo, git): they heartbeat, so a dead worker is noticed in a minute. */
const TOOL: ActivityOptions = {
  startToCloseTimeout: '10m',
  scheduleToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: RETRY,
};

const OPTIONS: Record<keyof PromotionActivities, ActivityOptions> = {
  resolveDigest: QUICK,
  ensureScanned: QUICK, // replaced per environment by scanOptions()
  readProjectPolicy: QUICK,
  checkPullable: QUICK,
  copyArtifact: { ...TOOL, startToCloseTimeout: '30m', scheduleToCloseTimeout: '2h' },
  signImage: TOOL,
  verifySignature: TOOL,
  updateOverlay: TOOL,
  runVerification: TOOL, // replaced by verificationOptions()
  verifyDigests: TOOL,
  attestEnvironment: TOOL,
  verifyAttestations: TOOL,
  checkEvidence: QUICK,
  readAllowedSigners: TOOL, // a git fetch
  // Computation on the worker; an approver waits for the answer, so it fails fast when no worker runs.
  checkApprovalSignature: { startToCloseTimeout: '30s', scheduleToCloseTimeout: '1m', retry: RETRY },
  // Retries happen inside (counted for the record); bounded: at most 6 attempts of 10 s plus backoff.
  // Another activity attempt only when the worker is lost.
  sendNotification: {
    startToCloseTimeout: '2m',
    scheduleToCloseTimeout: '5m',
    heartbeatTimeout: '30s',
    retry: { ...RETRY, maximumAttempts: 2 },
  },
  readPushTime: QUICK,
  readOverlayPin: TOOL,
  requestEnvironment: QUICK,
  isWorkflowRunning: QUICK,
  // zod on the worker instead of in every cached workflow (input-check.ts); pure computation.
  checkPromotionInput: QUICK,
  checkRollbackInput: QUICK,
};

/**
 * A scan can take many minutes. The activity either polls inside one attempt (heartbeating) or throws a
 * benign `NotReady` and is retried every pollInterval (toolchain.md D5). Either way the history gets one
 * scheduled/started/completed triple, whatever the number of polls; the environment's scan.timeout is
 * the overall deadline (a TimeoutFailure, reported as ScannerUnavailable).
 */
export function scanOptions(env: Environment): ActivityOptions {
  const poll = durationMs(scanSettings(env).pollInterval);
  const deadline = durationMs(scanSettings(env).timeout);
  return {
    startToCloseTimeout: deadline,
    scheduleToCloseTimeout: deadline,
    heartbeatTimeout: Math.max(3 * poll, 30_000),
    retry: { ...RETRY, initialInterval: poll, backoffCoefficient: 1, maximumInterval: poll },
  };
}

/** Integration tests run up to their timeout; a failed test is a result (passed=false), not a retry. */
export function verificationOptions(timeoutMs: number): ActivityOptions {
  return {
    ...TOOL,
    startToCloseTimeout: timeoutMs + 60_000,
    scheduleToCloseTimeout: 3 * timeoutMs + 180_000,
    retry: { ...RETRY, maximumAttempts: 3 },
  };
}

const acts = proxyActivities<PromotionActivities>(QUICK);

type Act = keyof PromotionActivities;

type In<K extends Act> = Parameters<PromotionActivities[K]>[0];
type Out<K extends Act> = Awaited<ReturnType<PromotionActivities[K]>>;

export function call<K extends Act>(
  name: K,
  summary: string,
  input: In<K>,
  options?: ActivityOptions,
): Promise<Out<K>> {
  const fn = acts[name] as unknown as {
    executeWithOptions(o: ActivityOptions, args: [In<K>]): Promise<Out<K>>;
  };
  return fn.executeWithOptions({ ...OPTIONS[name], ...options, summary }, [input]);
}
