/**
 * Approval and verification-report handling. One function decides whether a message is acceptable; the
 * update validator refuses with its answer, the signal handler records it as ignored. So the CLI (update)
 * and a fire-and-forget sender (signal) get the same rules.
 */
import { setHandler } from '@temporalio/workflow';
import type { ApprovalRecord } from '../domain/promotion.js';
import {
  approveSignal,
  approveUpdate,
  rejectSignal,
  rejectUpdate,
  reportVerificationSignal,
  statusQuery,
  type ApprovalAnswer,
  type ApproveArgs,
  type RejectArgs,
  type VerificationReport,
} from './messages.js';
import type { PromotionState } from './state.js';

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Why this approve/reject cannot be taken now, or undefined when it can. */
export function approvalProblem(
  st: PromotionState,
  kind: 'approve' | 'reject',
  a: Partial<ApproveArgs & RejectArgs>,
): string | undefined {
  if (!a || !str(a.environment) || !str(a.approver)) return 'environment and approver are required';
  if (kind === 'reject' && !str(a.reason)) return 'a rejection needs a reason';
  const rec = st.approvals[a.environment];
  if (!rec) {
    const gated = Object.keys(st.approvals);
    return `environment "${a.environment}" has no approval gate in this promotion${gated.length ? ` (gated: ${gated.join(', ')})` : ''}`;
  }
  if (rec.decision !== 'pending')
    return `the decision for ${a.environment} is already taken: ${rec.decision}`;
  if (st.awaitingApprovalFor !== a.environment)
    return st.awaitingApprovalFor
      ? `not waiting for approval into ${a.environment}; the promotion waits for approval into ${st.awaitingApprovalFor}`
      : `not waiting for approval into ${a.environment} yet (stage: ${st.stage} in ${st.currentEnvironment}); try again when it asks`;
  if (!rec.approvers.includes(a.approver))
    return `"${a.approver}" is not an approver for ${a.environment}; approvers: ${rec.approvers.join(', ')}`;
  if (kind === 'approve' && rec.approvals.some((x) => x.approver === a.approver))
    return `"${a.approver}" already approved ${a.environment}; ${rec.required - rec.approvals.length} more from other approvers needed`;
  return undefined;
}

export function answer(rec: ApprovalRecord): ApprovalAnswer {
  const done = new Set(rec.approvals.map((x) => x.approver));
  return {
    environment: rec.environment,
    decision: rec.decision,
    approvals: rec.approvals.length,
    required: rec.required,
    stillNeeded: rec.approvers.filter((n) => !done.has(n)),
  };
}

function approve(st: PromotionState, a: ApproveArgs, via: 'signal' | 'update'): ApprovalAnswer {
  const rec = st.approvals[a.environment]!;
  rec.approvals.push({
    approver: a.approver,
    at: new Date().toISOString(),
    ...(a.comment && { comment: a.comment }),
    via,
  });
  if (rec.approvals.length >= rec.required) rec.decision = 'approved';
  st.onApprovalChange?.(rec);
  return answer(rec);
}

function reject(st: PromotionState, a: RejectArgs, via: 'signal' | 'update'): ApprovalAnswer {
  const rec = st.approvals[a.environment]!;
  rec.rejection = { approver: a.approver, at: new Date().toISOString(), reason: a.reason, via };
  rec.decision = 'rejected';
  st.onApprovalChange?.(rec);
  return answer(rec);
}

function refuse(problem: string | undefined): void {
  if (problem) throw new Error(problem); // rejects the update: nothing lands in history
}

export function installHandlers(st: PromotionState): void {
  setHandler(statusQuery, () => st.status());
  setHandler(approveUpdate, (a) => approve(st, a, 'update'), {
    validator: (a) => refuse(approvalProblem(st, 'approve', a)),
  });
  setHandler(rejectUpdate, (a) => reject(st, a, 'update'), {
    validator: (a) => refuse(approvalProblem(st, 'reject', a)),
  });
  setHandler(approveSignal, (a) => {
    const problem = approvalProblem(st, 'approve', a);
    if (problem)
      st.ignore({
        kind: 'approve',
        environment: String(a?.environment),
        approver: a?.approver,
        reason: problem,
      });
    else approve(st, a, 'signal');
  });
  setHandler(rejectSignal, (a) => {
    const problem = approvalProblem(st, 'reject', a);
    if (problem)
      st.ignore({
        kind: 'reject',
        environment: String(a?.environment),
        approver: a?.approver,
        reason: problem,
      });
    else reject(st, a, 'signal');
  });
  setHandler(reportVerificationSignal, (r: VerificationReport) => {
    // Only a report for the gate that is open counts: an earlier one may describe the previous deployment.
    if (!r || typeof r.passed !== 'boolean' || st.awaitingReportFor !== r.environment)
      st.ignore({
        kind: 'reportVerification',
        environment: String(r?.environment),
        reason:
          typeof r?.passed !== 'boolean'
            ? '`passed` must be true or false'
            : `not waiting for a verification report for ${r.environment}${st.awaitingReportFor ? ` (waiting for ${st.awaitingReportFor})` : ''}`,
      });
    else st.reports[r.environment] = r;
  });
}
