/**
 * Failure types (the `type` of an ApplicationFailure). The workflow lists the non-retryable ones in its
 * retry policies; activities throw them; the CLI maps them to exit codes. One list, used everywhere.
 */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  ImageNotFound: 'ImageNotFound',
  PermissionDenied: 'PermissionDenied',
  ScannerUnavailable: 'ScannerUnavailable',
  VulnerabilityPolicyViolation: 'VulnerabilityPolicyViolation',
  Quarantined: 'Quarantined',
  SignatureInvalid: 'SignatureInvalid',
  DigestMismatch: 'DigestMismatch',
  VerificationFailed: 'VerificationFailed',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalExpired: 'ApprovalExpired',
  /**
   * A newer promotion of the same repository arrived while this one waited for an environment
   * (`concurrency: supersede`): it stopped there, having changed nothing in that environment.
   */
  Superseded: 'Superseded',
  /** Moving the environment's overlay would pin an artifact pushed earlier than the one it pins now. */
  WouldRegress: 'WouldRegress',
  /**
   * The environment `requires` evidence (sbom, provenance, signature) the artifact in the previous project
   * does not carry, or carries unsigned by the promoter's key: nothing was copied; the message names each.
   */
  EvidenceMissing: 'EvidenceMissing',
  /**
   * Harbor answered in a shape this client cannot read (a field of another type, a body that is not JSON).
   * The same Harbor answers the same way on every retry, so it fails at once and names the endpoint, the
   * field and Harbor's version: upgrade harbor-promote or report it.
   */
  HarborIncompatible: 'HarborIncompatible',
  /** A wait that is not over yet (scan still running): retried by the activity retry policy, logged as benign. */
  NotReady: 'NotReady',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Everything except NotReady: retrying these cannot help, the user has to act. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(FailureType).filter(
  (t) => t !== FailureType.NotReady,
);
