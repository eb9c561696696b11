/**
 * The contract between the promotion workflow and its activities: names, inputs and outputs.
 * The workflow imports only these types (`import type`); src/activities/index.ts builds the real
 * functions; workflow tests pass mocks of the same shape. Everything here lands in workflow history,
 * so no field ever carries a secret: credentials stay in the worker's environment.
 */

// The shared vocabulary lives in src/domain (pure, no Temporal); re-exported so activities keep one import.
import type { LockRequest } from '../domain/environment-lock.js';
import type { EnvironmentEvidence } from '../domain/attestation.js';
import type { EvidenceFinding, EvidenceKind } from '../domain/evidence.js';
import type { ArtifactRef } from '../domain/image-ref.js';
import type { Pipeline } from '../domain/pipeline.js';
import type {
  AttestResult,
  CopyResult,
  DigestProof,
  OverlayResult,
  SignResult,
  ValidPromotionInput,
  VerificationResult,
} from '../domain/promotion.js';
import type { ValidRollbackInput } from '../domain/rollback.js';
import type { NotificationDelivery, SendNotificationInput } from '../domain/notify.js';
import type { ProjectPolicy } from '../domain/quarantine.js';
import type { ScanSummary } from '../domain/scan-policy.js';
export type { Severity } from '../domain/severity.js';
export type {
  ArtifactRef,
  AttestResult,
  CopyResult,
  DigestProof,
  OverlayResult,
  ProjectPolicy,
  ScanSummary,
  SignResult,
  VerificationResult,
};

export interface ResolveDigestInput {
  project: string;
  repository: string;
  /** A tag or a `sha256:` digest. */
  reference: string;
}
export interface ResolvedArtifact {
  digest: string;
  /** The manifest media type; an image index keeps the index digest. */
  manifestMediaType: string;
  tags: string[];
  /** Harbor's `push_time` of the artifact in that project (absent in histories recorded before it). */
  pushTime?: string;
}

export interface EnsureScannedInput {
  artifact: ArtifactRef;
  /** ISO time: only a report that started at or after this counts (reports are shared across projects). */
  notBefore?: string;
  /** Poll interval inside the activity (heartbeating between polls). */
  pollIntervalMs?: number;
}
export interface CopyArtifactInput {
  from: ArtifactRef;
  to: { project: string; repository: string };
  /** Tag to give the artifact in the destination (skopeo needs one; harbor copies every source tag). */
  tag?: string;
  strategy: 'harbor' | 'skopeo';
}
export interface VerifyResult {
  verified: true;
}

export interface UpdateOverlayInput {
  environment: string;
  /** Path of kustomization.yaml inside the GitOps repository. */
  overlayPath: string;
  /** `images[].name` to update. */
  imageName: string;
  newName: string;
  newTag?: string;
  digest: string;
  promotionId: string;
  /**
   * Set by `harbor-promote rollback`: the commit says it is a rollback, from the digest the overlay held to
   * this one, and without `newTag` a tag left from the newer build is removed.
   */
  rollback?: { requestedBy?: string };
}
export type VerificationSpec =
  | { kind: 'command'; argv: string[]; timeoutMs: number }
  | { kind: 'webhook'; url: string; timeoutMs: number; pollIntervalMs?: number };
export interface RunVerificationInput {
  environment: string;
  image: string;
  digest: string;
  verification: VerificationSpec;
}
export interface VerifyDigestsInput {
  digest: string;
  artifacts: ArtifactRef[];
  /** Optional: also require that this tag resolves to `digest` in every project. */
  tag?: string;
}
/**
 * Ask the environment's lock workflow for the environment (signal-with-start; idempotent per run). The
 * activity names the lock (environmentLockId with its task queue) and returns the id, so the workflow
 * keeps it from history rather than computing it from anything a replay could see differently.
 */
export interface RequestEnvironmentInput {
  project: string;
  repository: string;
  overlayPath?: string;
  request: LockRequest;
}
export interface WorkflowRunRef {
  workflowId: string;
  runId: string;
}
export interface ReadOverlayPinInput {
  overlayPath: string;
  imageName: string;
}

export interface AttestEnvironmentInput {
  /** The digest in the environment's project. */
  artifact: ArtifactRef;
  /** The promotion's pipeline: its canonical form's sha256 is the VSA's policy digest. */
  pipeline: Pipeline;
  /** The environment's gates and their results (src/domain/attestation.ts). */
  evidence: EnvironmentEvidence;
}
export interface CheckEvidenceInput {
  /** The digest in the previous environment's project (what is about to be copied). */
  artifact: ArtifactRef;
  /** The destination's `requires` (src/domain/evidence.ts). */
  requires: EvidenceKind[];
}
export interface AttestationProof {
  project: string;
  repository: string;
  /** Predicate types whose attestation verifies with the promoter's key. */
  predicateTypes: string[];
}
/** A workflow input as the worker's zod schema reads it: the input with defaults filled in, or why not. */
export type InputCheck<T> = { ok: true; input: T } | { ok: false; problems: string[] };

/**
 * Input checks run as activities (src/activities/input-check.ts): zod runs in the worker's own context,
 * where its modules are evaluated once, instead of in every cached workflow (tracker issue 13).
 * The input is `unknown` on purpose: it is what the client sent.
 */
export interface InputCheckActivities {
  checkPromotionInput(input: unknown): Promise<InputCheck<ValidPromotionInput>>;
  checkRollbackInput(input: unknown): Promise<InputCheck<ValidRollbackInput>>;
}

export interface PromotionActivities extends InputCheckActivities {
  resolveDigest(input: ResolveDigestInput): Promise<ResolvedArtifact>;
  ensureScanned(input: EnsureScannedInput): Promise<ScanSummary>;
  readProjectPolicy(input: { project: string }): Promise<ProjectPolicy>;
  /** Manifest HEAD through the registry front; a 412 becomes a `Quarantined` failure with Harbor's message. */
  checkPullable(input: { artifact: ArtifactRef }): Promise<{ pullable: true }>;
  copyArtifact(input: CopyArtifactInput): Promise<CopyResult>;
  signImage(input: { artifact: ArtifactRef }): Promise<SignResult>;
  verifySignature(input: { artifact: ArtifactRef }): Promise<VerifyResult>;
  updateOverlay(input: UpdateOverlayInput): Promise<OverlayResult>;
  runVerification(input: RunVerificationInput): Promise<VerificationResult>;
  verifyDigests(input: VerifyDigestsInput): Promise<DigestProof[]>;
  /** `cosign attest --replace` of the VSA and the promotion record (one of each, however often it runs). */
  attestEnvironment(input: AttestEnvironmentInput): Promise<AttestResult>;
  /** In-process check of both attestations in each project; SignatureInvalid names the first that fails. */
  verifyAttestations(input: { artifacts: ArtifactRef[] }): Promise<AttestationProof[]>;
  /** Required evidence: what the artifact carries of `requires`, checked with the promoter's public key. */
  checkEvidence(input: CheckEvidenceInput): Promise<EvidenceFinding[]>;
  /** The allowed_signers file of an approval gate, from the GitOps repository's branch head. */
  readAllowedSigners(input: ReadAllowedSignersInput): Promise<AllowedSignersFile>;
  /** The crypto half of a signed approval (the workflow has no node:crypto): is the SSHSIG signature valid? */
  checkApprovalSignature(input: CheckApprovalSignatureInput): Promise<ApprovalSignatureResult>;
  /** POSTs one event to the pipeline's webhooks (src/activities/notify.ts); a failed delivery is a result. */
  sendNotification(input: SendNotificationInput): Promise<NotificationDelivery[]>;
  /** `push_time` of an artifact, `found: false` when the project does not hold it (never fails on 404). */
  readPushTime(input: { artifact: ArtifactRef }): Promise<{ found: boolean; pushTime?: string }>;
  /** The digest an overlay pins for `imageName` now (undefined: none yet). */
  readOverlayPin(input: ReadOverlayPinInput): Promise<{ digest?: string }>;
  requestEnvironment(input: RequestEnvironmentInput): Promise<{ lockId: string }>;
  /** For the lock: is this run of a promotion still running? (A terminated holder never releases.) */
  isWorkflowRunning(input: WorkflowRunRef): Promise<{ running: boolean; status: string }>;
}

export interface ReadAllowedSignersInput {
  environment: string;
  /** `approval.allowedSignersFile`: a path inside the GitOps repository. */
  path: string;
}
export interface AllowedSignersFile {
  path: string;
  /** The file's text: public keys only. */
  text: string;
  /** The commit it was read at (kept in the record: which keys were trusted). */
  commit: string;
}
export interface CheckApprovalSignatureInput {
  /** The canonical statement, exactly as signed. */
  statement: string;
  /** Armored SSHSIG signature. */
  signature: string;
  /** The gate's allowed_signers lines. */
  allowedSigners: string[];
}
export type ApprovalSignatureResult =
  { valid: true; fingerprint: string; key: string; namespace: string } | { valid: false; reason: string };
