/**
 * How a step's failure becomes the promotion's failure: typed activity failures keep their type and gain
 * "where", timeouts become the step's timeout type. Workflow code: deterministic, no I/O.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures.js';

export const fail = (type: FailureType, message: string, cause?: Error, ...details: unknown[]) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, cause, details });

/**
 * Type and message for the board. An ActivityFailure that `explain` left as is (retries exhausted on a
 * Transient failure, a timeout) says only "Activity task failed": the messages of its causes say why.
 */
export function describeFailure(err: unknown): { type: string; message: string } {
  if (!(err instanceof ActivityFailure))
    return { type: (err as ApplicationFailure).type ?? 'Error', message: (err as Error).message };
  let type: string | undefined;
  const parts: string[] = [];
  for (let e: unknown = err.cause, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    if (!type && e instanceof ApplicationFailure && e.type) type = e.type;
    if (!type && e instanceof TimeoutFailure) type = 'Timeout';
    if (e.message) parts.push(e.message);
  }
  return {
    type: type ?? 'Error',
    message: `${err.activityType} failed${parts.length ? `: ${parts.join(': ')}` : ''}`,
  };
}

/** Where a step fails, and what an activity timeout in it means (see Step.failure). */
export interface FailureContext {
  /** Prefix of the message, e.g. `copying into staging (platform-staging/myservice)`. */
  where: string;
  /** An activity timeout becomes this failure type with this hint (otherwise it stays a timeout). */
  timeout?: { type: FailureType; hint: string };
}

/**
 * Turns an activity's typed failure into the workflow's failure, with where it happened. Anything else
 * (a cancellation, a failure the step raised itself, an already explained one) passes unchanged, so
 * explaining twice is harmless.
 */
export function explain(err: unknown, f: FailureContext): unknown {
  if (isCancellation(err) || !(err instanceof ActivityFailure)) return err;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type && cause.type in FailureType)
    return fail(cause.type as FailureType, `${f.where}: ${cause.message}`, err);
  if (cause instanceof TimeoutFailure && f.timeout)
    return fail(f.timeout.type, `${f.where}: ${f.timeout.hint}`, err);
  return err;
}

/** ensureScanned's answer when Harbor has no scanner for the project at all (details `{ noScanner: true }`). */
export function isNoScanner(err: unknown): boolean {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return false;
  const d = err.cause.details?.[0] as { noScanner?: boolean } | undefined;
  return err.cause.type === FailureType.ScannerUnavailable && d?.noScanner === true;
}
