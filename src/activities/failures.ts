/**
 * Typed errors → ApplicationFailure with the DESIGN.md failure types. Permanent answers become
 * non-retryable failures whose message says what to do; transient ones (5xx, 429, network, timeouts) stay
 * retryable so the activity's Temporal retry policy takes over (the REST client already retried GETs).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures.js';
import { HarborHttpError, HarborNetworkError, HarborResponseError } from '../harbor/errors.js';
import { SpawnError } from './process.js';
import { scanStillRunning } from './tool-output.js';

/** Retryable failure type for transient outside problems (not in NON_RETRYABLE_FAILURE_TYPES). */
export const TRANSIENT = 'Transient';

/** What the failing call needed, so a 403 can name the project and the role/permission to grant. */
export interface AccessNeed {
  project: string;
  /** Harbor project role that grants it, e.g. `Guest`, `Developer`, `Maintainer`. */
  role: string;
  /** Robot permission(s), e.g. `artifact:read`. */
  permission: string;
}

export interface FailureContext {
  /** What the activity was doing, e.g. `resolve platform-dev/app:1.4.2`. */
  action: string;
  need?: AccessNeed;
  /** The thing that was looked up, for 404 messages. */
  subject?: string;
}

export function permissionMessage(need: AccessNeed, username?: string): string {
  return (
    `${username ? `Harbor account '${username}'` : 'The Harbor account'} lacks permission on project '${need.project}': ` +
    `grant it the ${need.role} role (robot permission ${need.permission}) on '${need.project}'`
  );
}

export function nonRetryable(type: FailureType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

export function retryable(message: string, cause?: Error, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: TRANSIENT,
    message,
    nonRetryable: false,
    cause,
    nextRetryDelay: nextRetryDelayMs,
  });
}

/** Map any error from the Harbor client to an ApplicationFailure; other errors pass through unchanged. */
export function toFailure(err: unknown, fc: FailureContext, username?: string): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof HarborNetworkError) return retryable(`${fc.action}: ${err.message}`);
  // Not transient: the same Harbor gives the same answer on every retry (HarborIncompatibleError says which
  // endpoint, field and Harbor version), so fail in seconds instead of retrying until schedule-to-close.
  if (err instanceof HarborResponseError)
    return nonRetryable(FailureType.HarborIncompatible, `${fc.action}: ${err.message}`);
  if (err instanceof SpawnError)
    return nonRetryable(FailureType.InvalidInput, `${fc.action}: ${err.message}`);
  if (!(err instanceof HarborHttpError)) return err;

  const harbor = `Harbor said: ${err.code}${err.harborMessage ? ` ${err.harborMessage}` : ''} (request id ${err.ctx.requestId})`;
  const status = err.status;
  if (err.transient) {
    return retryable(
      `${fc.action}: ${harbor}`,
      undefined,
      err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : undefined,
    );
  }
  switch (status) {
    case 401:
      // REST: bad credentials run as anonymous. /v2: every auth failure, including a missing role, is 401 (§8).
      return nonRetryable(
        FailureType.PermissionDenied,
        err.ctx.api === 'registry' && fc.need
          ? `${fc.action}: registry refused access. ${permissionMessage(fc.need, username)} (and check the credentials). ${harbor}`
          : `${fc.action}: Harbor did not accept the credentials of '${username ?? 'the worker'}' (check HARBOR_USERNAME / HARBOR_PASSWORD). ${harbor}`,
      );
    case 403:
      return nonRetryable(
        FailureType.PermissionDenied,
        `${fc.action}: ${fc.need ? permissionMessage(fc.need, username) : 'permission denied'} (a missing project also answers 403). ${harbor}`,
      );
    case 404:
      return nonRetryable(
        FailureType.ImageNotFound,
        `${fc.action}: ${fc.subject ?? 'the artifact'} was not found. ${harbor}`,
      );
    case 412:
      // A scan still running (e.g. the rescan another copy of the same digest started) blocks pulls only
      // until it ends: worth a retry, not a quarantine.
      if (err.ctx.api === 'registry' && scanStillRunning(err.harborMessage ?? ''))
        return retryable(`${fc.action}: waiting for the vulnerability scan to finish: ${err.harborMessage}`);
      if (err.ctx.api === 'registry') {
        return nonRetryable(
          FailureType.Quarantined,
          `${fc.action}: blocked by the project's policy: ${err.harborMessage || err.code}`,
        );
      }
      return nonRetryable(FailureType.InvalidInput, `${fc.action}: precondition failed. ${harbor}`);
    case 409:
      // Conflicts we expect are handled where they happen; any other may be a race worth one more try.
      return retryable(`${fc.action}: conflict. ${harbor}`);
    default:
      return nonRetryable(
        FailureType.InvalidInput,
        `${fc.action}: Harbor rejected the request (${status}). ${harbor}`,
      );
  }
}

/** Run `fn`, mapping whatever it throws. */
export async function mapFailures<T>(
  fc: FailureContext,
  username: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err, fc, username);
  }
}
