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
import type { ApprovalRecord, IgnoredMessage, StepRecord, VerificationRecord } from '../domain/promotion.js';

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

export type Stage =
  | 'starting'
  | 'resolving'
  | 'scanning'
  | 'signing'
  | 'awaiting-approval'
  | 'copying'
  | 'checking'
  | 'deploying'
  | 'verifying'
  | 'soaking'
  | 'attesting'
  | 'proving'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** The gate a promotion is blocked on, and what moves it. */
export interface PendingGate {
  kind: 'approval' | 'verification' | 'soak' | 'scan';
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
  ignoredMessages: IgnoredMessage[];
  /** Set once the promotion failed: `<FailureType>: <message>`. */
  failure?: string;
}

export const statusQuery = defineQuery<PromotionStatus>('status');
