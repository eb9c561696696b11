/**
 * The contract between the promotion workflow and its activities: names, inputs and outputs.
 * The workflow imports only these types (`import type`); src/activities/index.ts builds the real
 * functions; workflow tests pass mocks of the same shape. Everything here lands in workflow history,
 * so no field ever carries a secret: credentials stay in the worker's environment.
 */

/** Harbor's scan severities, title case as Harbor sends them. */
export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Negligible' | 'Unknown' | 'None';

/** One artifact in one Harbor project, always pinned by digest. `repository` excludes the project. */
export interface ArtifactRef {
  project: string;
  repository: string;
  digest: string;
}

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
}

export interface EnsureScannedInput {
  artifact: ArtifactRef;
  /** ISO time: only a report that started at or after this counts (reports are shared across projects). */
  notBefore?: string;
  /** Poll interval inside the activity (heartbeating between polls). */
  pollIntervalMs?: number;
}
export interface ScanSummary {
  reportId: string;
  status: 'Success' | 'Error' | 'Stopped';
  /** Highest severity found, `None` when clean. */
  severity: Severity;
  startTime: string;
  endTime: string;
  total: number;
  fixable: number;
  /** Only severities with a count, as Harbor reports them. */
  bySeverity: Partial<Record<Severity, number>>;
  scanner?: string;
  /** The vulnerability ids found (used for allowlist decisions); capped to keep history small. */
  vulnerabilityIds?: string[];
}

export interface ProjectPolicy {
  project: string;
  autoScan: boolean;
  preventVulnerable: boolean;
  /** Lower case threshold as stored in the project metadata (`none` when absent). */
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
  cosignRequired: boolean;
  /** The effective, unexpired CVE allowlist (system or project, per `reuse_sys_cve_allowlist`). */
  allowlist: string[];
}

export interface CopyArtifactInput {
  from: ArtifactRef;
  to: { project: string; repository: string };
  /** Tag to give the artifact in the destination (skopeo needs one; harbor copies every source tag). */
  tag?: string;
  strategy: 'harbor' | 'skopeo';
}
export interface CopyResult {
  digest: string;
  /** ISO time just before the copy started: the fresh-scan cut-off in the destination. */
  copiedAt: string;
  strategy: 'harbor' | 'skopeo';
  /** True when the signature accessory did not arrive and the activity re-created it. */
  signatureRepaired: boolean;
  /** Bytes of image content that passed through the worker (0 for a server-side copy). */
  bytesThroughWorker: number;
}

export interface SignResult {
  /** False when a valid signature by the configured key already existed. */
  signed: boolean;
  signatureDigest?: string;
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
}
export interface OverlayResult {
  changed: boolean;
  /** The commit that now holds the change (the existing HEAD when nothing changed). */
  commit: string;
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
export interface VerificationResult {
  passed: boolean;
  url?: string;
  details?: string;
  /** Last lines of the command output, secrets redacted. */
  outputTail?: string;
  durationMs: number;
}

export interface VerifyDigestsInput {
  digest: string;
  artifacts: ArtifactRef[];
  /** Optional: also require that this tag resolves to `digest` in every project. */
  tag?: string;
}
export interface DigestProof {
  project: string;
  repository: string;
  digest: string;
  signed: boolean;
}

export interface PromotionActivities {
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
}
