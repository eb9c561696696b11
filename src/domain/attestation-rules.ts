/**
 * The evidence of one environment out of the promotion record, without zod: the workflow bundle imports
 * this file (see pipeline-rules.ts for why); attestation.ts re-exports it.
 */
import type {
  ApprovalRecord,
  CopyResult,
  OverlayResult,
  PromotionRecord,
  StepRecord,
  VerificationRecord,
} from './promotion.js';
import type { ScanSummary } from './scan-policy.js';

/** What the workflow knows about one environment's gates when it attests it (lands in history). */
export interface EnvironmentEvidence {
  promotionId: string;
  pipeline?: string;
  repository: string;
  reference: string;
  digest: string;
  environment: string;
  /** The environments walked so far, this one last. */
  environments: string[];
  requestedBy?: string;
  startedAt: string;
  /** The signature's manifest digest in the source project (Harbor keeps it on copy). */
  signatureDigest?: string;
  scans: Record<string, ScanSummary>;
  notScanned?: Record<string, string>;
  copies: Record<string, CopyResult>;
  approvals: Record<string, ApprovalRecord>;
  verifications: Record<string, VerificationRecord>;
  overlays: Record<string, OverlayResult & { path: string }>;
  /** The steps of these environments, with their times. */
  steps: StepRecord[];
}

type RecordSoFar = Omit<PromotionRecord, 'finishedAt'>;

/** The evidence for `environment` out of the record built so far: this and the earlier environments only. */
export function environmentEvidence(rec: RecordSoFar, environment: string): EnvironmentEvidence {
  const upTo = rec.environments.indexOf(environment);
  if (upTo < 0) throw new Error(`environment ${environment} is not in this promotion`);
  const envs = rec.environments.slice(0, upTo + 1);
  const pick = <T>(r: Record<string, T> | undefined): Record<string, T> =>
    Object.fromEntries(Object.entries(r ?? {}).filter(([k]) => envs.includes(k)));
  const notScanned = pick(rec.notScanned);
  return {
    promotionId: rec.promotionId,
    ...(rec.pipeline !== undefined && { pipeline: rec.pipeline }),
    repository: rec.repository,
    reference: rec.reference,
    digest: rec.digest,
    environment,
    environments: envs,
    ...(rec.requestedBy !== undefined && { requestedBy: rec.requestedBy }),
    startedAt: rec.startedAt,
    ...(rec.signature?.signatureDigest !== undefined && { signatureDigest: rec.signature.signatureDigest }),
    scans: pick(rec.scans),
    ...(Object.keys(notScanned).length > 0 && { notScanned }),
    copies: pick(rec.copies),
    approvals: pick(rec.approvals),
    verifications: pick(rec.verifications),
    overlays: pick(rec.overlays),
    steps: rec.steps.filter((s) => s.environment !== undefined && envs.includes(s.environment)),
  };
}
