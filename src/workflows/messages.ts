/**
 * The human side of a promotion: signals, updates and the status query. Imported by the workflow and by
 * the CLI (definitions only; no workflow state here).
 *
 * Names: the signal and the update for approving are both `approve` (and both `reject`): Temporal keeps
 * signal and update handlers in separate tables, so a name can be both. The update is what the CLI uses
 * (it answers at once: refused, or accepted with the count so far); the signal is fire-and-forget, and a
 * signal the update would have refused is ignored and listed in `status().ignoredMessages`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ScanSummary } from '../activities/contract.js';
import type { NotificationDelivery } from '../domain/notify.js';
import type {
  ApprovalRecord,
  FreezeRecord,
  IgnoredMessage,
  StepRecord,
  VerificationRecord,
} from '../domain/promotion.js';

/** A signed approval or rejection: the canonical statement and `ssh-keygen -Y sign`'s armored output. */
export interface SignedStatement {
  statement: string;
  signature: string;
}
export interface ApproveArgs {
  environment: string;
  approver: string;
  comment?: string;
  /** Required where the gate requires signed approvals (`status` shows the nonce to sign). */
  signed?: SignedStatement;
}
export interface RejectArgs {
  environment: string;
  approver: string;
  reason: string;
  signed?: SignedStatement;
}
export interface UnfreezeArgs {
  environment: string;
  approver: string;
  reason: string;
}
/** What an accepted unfreeze update returns. */
export interface UnfreezeAnswer {
  environment: string;
  /** True when the promotion was waiting for a window of this environment (it moves on now). */
  wasFrozen: boolean;
}
export interface VerificationReport {
  environment: string;
  passed: boolean;
  url?: string;
  details?: string;
}
/** What an accepted approve/reject update returns. */
export interface ApprovalAnswer {
  environment: string;
  decision: ApprovalRecord['decision'];
  approvals: number;
  required: number;
  /** Approvers on the list who have not approved yet. */
  stillNeeded: string[];
}

export const approveSignal = defineSignal<[ApproveArgs]>('approve');
export const rejectSignal = defineSignal<[RejectArgs]>('reject');
export const reportVerificationSignal = defineSignal<[VerificationReport]>('reportVerification');
export const approveUpdate = defineUpdate<ApprovalAnswer, [ApproveArgs]>('approve');
export const rejectUpdate = defineUpdate<ApprovalAnswer, [RejectArgs]>('reject');
/** Lifts the freeze windows of one environment for this promotion (an approver of it, with a reason). */
export const unfreezeUpdate = defineUpdate<UnfreezeAnswer, [UnfreezeArgs]>('unfreeze');

export type Stage =
  | 'starting'
  | 'resolving'
  | 'scanning'
  | 'signing'
  | 'awaiting-approval'
  | 'frozen'
  | 'waiting-environment'
  | 'copying'
  | 'checking'
  | 'deploying'
  | 'verifying'
  | 'soaking'
  | 'attesting'
  | 'proving'
  | 'recording'
  | 'releasing'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** The gate a promotion is blocked on, and what moves it. */
export interface PendingGate {
  /** `environment`: another promotion of the repository is writing to the environment (no human needed). */
  kind: 'approval' | 'verification' | 'soak' | 'scan' | 'freeze' | 'environment';
  environment: string;
  /** Human sentence: "2 more approvals from alice, bob, carol". */
  needs: string;
  /** The exact CLI command that moves it, when a human can. */
  command?: string;
  /** When the gate gives up (approval expiry, verification timeout) or opens (soak). */
  until?: string;
}

export interface PromotionStatus {
  promotionId: string;
  repository: string;
  reference: string;
  digest?: string;
  stage: Stage;
  currentEnvironment: string;
  environments: string[];
  steps: StepRecord[];
  pendingGate?: PendingGate;
  scans: Record<string, ScanSummary>;
  approvals: Record<string, ApprovalRecord>;
  verifications: Record<string, VerificationRecord>;
  /** Webhook deliveries so far (absent before the first). */
  notifications?: NotificationDelivery[];
  /** Environments with freeze windows (absent when none has any). */
  freezes?: Record<string, FreezeRecord>;
  ignoredMessages: IgnoredMessage[];
  /** Set once the promotion failed: `<FailureType>: <message>`. */
  failure?: string;
}

export const statusQuery = defineQuery<PromotionStatus>('status');
