/**
 * The promotion's input, identity and record. The input schema is the one the worker re-validates a
 * workflow's input with (the workflow rejects a bad input as `InvalidInput`), the record is the workflow's
 * result.
 */
import { z } from 'zod';
import type { NotificationDelivery } from './notify.js';
import type { ScanSummary } from './scan-policy.js';
import { isDigest } from './image-ref.js';
import { plannedEnvironments } from './promotion-rules.js';
import {
  durationLimitProblems,
  EnvironmentName,
  formatIssues,
  PipelineSchema,
  Reference,
  RepositoryName,
} from './pipeline.js';

export const PromotionInputSchema = z
  .strictObject({
    /** The validated pipeline (the CLI parses the YAML file; the workflow checks it again). */
    pipeline: PipelineSchema,
    /** Repository name inside the projects, e.g. `myservice` or `team/app` (per-environment mapping in the pipeline). */
    repository: RepositoryName,
    /** Tag or `sha256:` digest in the first environment's project. Resolved once, then only the digest is used. */
    reference: Reference,
    /** Stop after this environment; defaults to the last one. */
    targetEnvironment: EnvironmentName.optional(),
    /** Who started it (shown in the record); not an authority for anything. */
    requestedBy: z.string().max(128).optional(),
    /**
     * A rollback: it may move an overlay to an artifact pushed earlier than the one the overlay pins now
     * (every other promotion ends as `WouldRegress` there). It still takes each environment's lock.
     */
    rollback: z.literal(true, { error: 'must be `true` when present' }).optional(),
  })
  .superRefine((input, ctx) => {
    const names = input.pipeline.environments.map((e) => e.name);
    if (input.targetEnvironment !== undefined && !names.slice(1).includes(input.targetEnvironment))
      ctx.addIssue({
        code: 'custom',
        path: ['targetEnvironment'],
        message: `"${input.targetEnvironment}" is not a destination of this pipeline; use one of ${names.slice(1).join(', ')}`,
      });
  });

export type PromotionInput = z.input<typeof PromotionInputSchema>;
export type ValidPromotionInput = z.output<typeof PromotionInputSchema>;

// Zod-free (the workflow imports it from promotion-rules.ts directly).
export { plannedEnvironments } from './promotion-rules.js';

/**
 * Validates a promotion input. `limits: false` skips the duration limits (durationLimitProblems): only the
 * workflow passes it, for inputs of promotions started before the limits existed (it applies them behind
 * `patched()`).
 */
export function checkPromotionInput(
  value: unknown,
  opts: { limits?: boolean } = {},
): { ok: true; input: ValidPromotionInput } | { ok: false; problems: string[] } {
  const r = PromotionInputSchema.safeParse(value, { reportInput: true });
  if (!r.success) return { ok: false, problems: formatIssues(r.error.issues) };
  const limits = opts.limits === false ? [] : durationLimitProblems(r.data.pipeline);
  return limits.length > 0
    ? { ok: false, problems: limits.map((l) => `pipeline.${l}`) }
    : { ok: true, input: r.data };
}

/**
 * Workflow id: `promote-<repository>@<reference>`, e.g. `promote-myservice@1.4.2-a1b2c3d`,
 * `promote-team/app@sha256:<hex>`. Starting the same repository+reference again finds the running
 * promotion (USE_EXISTING) instead of a second one. `@` cannot occur in a repository or a tag, so the id
 * is unambiguous (a `-` separator would make `a-b` + `c` collide with `a` + `b-c`); repository and
 * reference are validated beforehand, so nothing else needs escaping (ids may contain `/` and `:`).
 */
export function promotionWorkflowId(repository: string, reference: string): string {
  return `promote-${repository}@${reference}`;
}

/** `myservice:1.4.2 dev → production` for the UI's static summary. */
export function promotionSummary(input: ValidPromotionInput): string {
  const envs = plannedEnvironments(input);
  const ref = isDigest(input.reference)
    ? `${input.repository}@${input.reference.slice(0, 19)}`
    : `${input.repository}:${input.reference}`;
  return `${ref} ${envs[0]!.name} → ${envs[envs.length - 1]!.name}`;
}

// ---- what the steps produce (activity results, kept in the record) ----

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
export interface OverlayResult {
  changed: boolean;
  /** The digest the overlay pinned before this change (absent when it pinned none). */
  previousDigest?: string;
  /** The commit that now holds the change (the existing HEAD when nothing changed). */
  commit: string;
}

export interface VerificationResult {
  passed: boolean;
  url?: string;
  details?: string;
  /** Last lines of the command output, secrets redacted. */
  outputTail?: string;
  durationMs: number;
}

export interface DigestProof {
  project: string;
  repository: string;
  digest: string;
  signed: boolean;
  /** The VSA and the promotion-record attestation verify there (destinations attested by this version). */
  attested?: boolean;
}

/** attestEnvironment: the VSA and the promotion record attached to the digest in one environment's project. */
export interface AttestResult {
  /** The predicate types attested (VSA, promotion record). */
  predicateTypes: string[];
  /** sha256 (hex) of the pipeline's canonical form: the VSA's policy.digest.sha256. */
  policyDigest: string;
  attestedAt: string;
  /** The `sha256-<hex>.att` manifest's digest after both were written. */
  attestationDigest?: string;
}

// ---- the record --------------------------------------------------------------------------------------

/** Every step a promotion can show (src/workflows/steps/table.ts orders them; a test keeps both in step). */
export const STEP_NAMES = [
  'resolveAndPin',
  'awaitScanAndGate',
  'sign',
  'approvalGate',
  'awaitFreezeWindow',
  'checkRequiredEvidence',
  'acquireEnvironment',
  'copyToEnvironment',
  'rescanAndDetectQuarantine',
  'checkDigestAndSignature',
  'updateOverlay',
  'verificationGate',
  'soak',
  'attestEnvironment',
  'releaseEnvironment',
  'proveFinalState',
  'checkRollbackTarget',
  'recordRollback',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type StepState = 'pending' | 'running' | 'waiting' | 'succeeded' | 'skipped' | 'failed' | 'cancelled';

export interface StepRecord {
  /** `<environment>/<step>`, e.g. `staging/copyToEnvironment`; `proveFinalState` has no environment. */
  id: string;
  environment?: string;
  step: StepName;
  state: StepState;
  startedAt?: string;
  finishedAt?: string;
  /** One line: what happened, or what it waits for. */
  detail?: string;
}

/**
 * A signed approval or rejection, as kept in the record: enough to re-check it without Temporal
 * (`verifyApprovalSignature(statement, signature, <the pipeline's allowed signers>)` in sshsig.ts).
 */
export interface ApprovalSignature {
  /** The canonical statement (approval-statement.ts), exactly the bytes that were signed. */
  statement: string;
  /** The armored SSHSIG signature (`ssh-keygen -Y sign` output). */
  signature: string;
  /** SSHSIG namespace it was checked in (APPROVAL_NAMESPACE). */
  namespace: string;
  /** `SHA256:…` of the signing key, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The signing public key, `<key type> <base64>`. */
  key: string;
}
export interface ApprovalDecision {
  approver: string;
  at: string;
  comment?: string;
  via: 'signal' | 'update';
  /** Present where the environment requires signed approvals. */
  signature?: ApprovalSignature;
}
export interface IgnoredMessage {
  kind: 'approve' | 'reject' | 'reportVerification';
  environment: string;
  approver?: string;
  at: string;
  reason: string;
}
export interface ApprovalRecord {
  environment: string;
  approvers: string[];
  required: number;
  openedAt?: string;
  expiresAt?: string;
  decision: 'pending' | 'approved' | 'rejected' | 'expired';
  approvals: ApprovalDecision[];
  /** True when every approval and rejection must be signed (the pipeline lists the approvers' keys). */
  signaturesRequired?: boolean;
  /**
   * The value a signed statement must carry now: issued when the gate opens and again after each
   * accepted signed approval, so a signature counts once.
   */
  nonce?: string;
  /** The allowed_signers lines the gate trusted (public keys), when signatures are required. */
  allowedSigners?: string[];
  /** Where they came from when not inline: the GitOps repository file and the commit it was read at. */
  allowedSignersFile?: { path: string; commit: string };
  rejection?: ApprovalDecision & { reason: string };
}
/** One wait for a freeze window of an environment. */
export interface FreezeWait {
  reason: string;
  /** Workflow time the wait began, and when the window was due to end. */
  from: string;
  until: string;
  /** Set once the wait is over: the window ended, or an approver lifted the freeze. */
  ended?: 'window-ended' | 'unfrozen';
}
export interface FreezeRecord {
  environment: string;
  waits: FreezeWait[];
  /** `harbor-promote unfreeze`: the freeze of this environment no longer holds this promotion. */
  unfrozen?: { approver: string; reason: string; at: string; via: 'update' };
}

export interface VerificationRecord extends Partial<VerificationResult> {
  environment: string;
  kind: 'command' | 'webhook' | 'external';
  passed: boolean;
  at: string;
  reportedBy?: 'activity' | 'signal';
}

export interface PromotionRecord {
  promotionId: string;
  pipeline?: string;
  repository: string;
  reference: string;
  /** The pinned digest: every step after resolve used this and nothing else. */
  digest: string;
  manifestMediaType: string;
  /** `push_time` of the digest in the source project (what "newer" means for the environment locks). */
  pushTime?: string;
  environments: string[];
  requestedBy?: string;
  startedAt: string;
  finishedAt: string;
  steps: StepRecord[];
  scans: Record<string, ScanSummary>;
  signature?: SignResult;
  copies: Record<string, CopyResult>;
  approvals: Record<string, ApprovalRecord>;
  verifications: Record<string, VerificationRecord>;
  overlays: Record<string, OverlayResult & { path: string }>;
  /** Final proof: the same digest, signed, in every project. */
  proof: DigestProof[];
  /** Per destination: the signed VSA and promotion-record attestations (absent before this version). */
  attestations?: Record<string, AttestResult>;
  ignoredMessages: IgnoredMessage[];
  /** Every webhook delivery (event, host, outcome), when the pipeline has `notify`. */
  notifications?: NotificationDelivery[];
  /** Environments with freeze windows: how long each held the promotion, and who lifted it. */
  freezes?: Record<string, FreezeRecord>;
  /** Environments whose gate ran without a scan (`scan: false`, or no scanner with `required: false`), and why. */
  notScanned?: Record<string, string>;
  /** `rollback` for `harbor-promote rollback` (absent: a promotion). */
  kind?: 'promotion' | 'rollback';
  /** Set on a rollback's record: which environment went from which digest back to which. */
  rollback?: RollbackRecord;
}

export interface RollbackRecord {
  environment: string;
  /** The digest the overlay pinned before the rollback (read from the overlay when it was changed). */
  from?: string;
  to: string;
  requestedBy?: string;
  /** The promotion that brought `to` into the environment, when the records show it. */
  promotedBy?: string;
}
