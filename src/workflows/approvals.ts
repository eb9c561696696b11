/**
 * Approval and verification-report handling. One function decides whether a message is acceptable; the
 * update validator refuses with its answer, the signal handler records it as ignored. So the CLI (update)
 * and a fire-and-forget sender (signal) get the same rules.
 */
import { ApplicationFailure, setHandler, uuid4 } from '@temporalio/workflow';
import type * as ApprovalStatementSchema from '../domain/approval-statement.js';
import {
  APPROVAL_NAMESPACE,
  keysOf,
  sshSignatureSigner,
  statementMismatch,
} from '../domain/approval-statement-rules.js';
import type { ApprovalRecord, ApprovalSignature } from '../domain/promotion.js';
import { call } from './activities.js';
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
import type { ApprovalRules, PromotionState } from './state.js';

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
  const rules = st.approvalRules[a.environment];
  if (kind === 'approve' && rules?.requester === a.approver)
    return `"${a.approver}" requested this promotion and cannot approve its own gate into ${a.environment} (separation of duties); ask ${rec.approvers.filter((n) => n !== a.approver).join(', ') || 'another approver'}, or set approval.allowSelfApproval: true for ${a.environment} in the pipeline`;
  // Before "already approved": a replayed signed statement is named as what it is.
  const signatureIssue = signatureProblem(st, rec, rules, kind, a);
  if (signatureIssue) return signatureIssue;
  if (kind === 'approve' && rec.approvals.some((x) => x.approver === a.approver))
    return `"${a.approver}" already approved ${a.environment}; ${rec.required - rec.approvals.length} more from other approvers needed`;
  return undefined;
}

/**
 * Reads a signed statement against its zod schema. The schema module is `require`d here, not imported: a
 * workflow evaluates zod only once it is sent a signed approval, not when it is created (input-check.ts
 * says why); webpack keeps the module in the bundle and evaluates it on the first call.
 */
function parseApprovalStatement(
  text: string,
): ReturnType<typeof ApprovalStatementSchema.parseApprovalStatement> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  const schema = require('../domain/approval-statement.js') as typeof ApprovalStatementSchema;
  return schema.parseApprovalStatement(text);
}

/** The statement fields an approve/reject must have signed for this gate now. */
function expectedStatement(
  st: PromotionState,
  rec: ApprovalRecord,
  kind: 'approve' | 'reject',
  a: Partial<ApproveArgs & RejectArgs>,
) {
  return {
    promotionId: st.promotionId,
    environment: rec.environment,
    digest: st.digest ?? '',
    approver: a.approver!,
    decision: kind,
    comment: (kind === 'approve' ? a.comment : a.reason) ?? '',
    nonce: rec.nonce ?? '',
  };
}

/**
 * Why a signed (or unsigned) message does not fit the gate's signature rule, from what the workflow can
 * check without crypto: present, canonical, for this promotion, environment, digest, decision and nonce,
 * and signed by a key allowed for the approver in this tool's namespace. The worker checks the signature
 * itself (checkApprovalSignature) before the approval counts.
 */
function signatureProblem(
  st: PromotionState,
  rec: ApprovalRecord,
  rules: ApprovalRules | undefined,
  kind: 'approve' | 'reject',
  a: Partial<ApproveArgs & RejectArgs>,
): string | undefined {
  const env = rec.environment;
  const signed = a.signed;
  if (!rules?.signers)
    return signed
      ? `${env} does not take signed approvals (the pipeline lists no approver keys); send it without --sign-key`
      : undefined;
  if (!signed || !str(signed.statement) || !str(signed.signature))
    return `${env} requires signed approvals; sign it: harbor-promote ${kind} ${st.promotionId} --env ${env} --as ${a.approver} --sign-key ~/.ssh/id_ed25519`;
  const parsed = parseApprovalStatement(signed.statement);
  if (!parsed.ok) return parsed.problem;
  if (rules.usedNonces.includes(parsed.statement.nonce))
    return `this signed statement was already used (nonce ${parsed.statement.nonce}): a signature counts once; sign again for the gate's current nonce`;
  const mismatch = statementMismatch(parsed.statement, expectedStatement(st, rec, kind, a));
  if (mismatch) return mismatch;
  const signer = sshSignatureSigner(signed.signature);
  if ('problem' in signer) return signer.problem;
  if (signer.namespace !== APPROVAL_NAMESPACE)
    return `the signature is for namespace "${signer.namespace}", not "${APPROVAL_NAMESPACE}"; sign with \`ssh-keygen -Y sign -n ${APPROVAL_NAMESPACE}\` (the CLI does it)`;
  const keys = keysOf(rules.signers.parsed, a.approver!);
  if (keys.length === 0) return `no key of "${a.approver}" is among the allowed signers of ${env}`;
  if (!keys.some((k) => k.publicKey === signer.publicKey))
    return `the signature is not by a key allowed for "${a.approver}" in ${env} (allowed: ${keys.map((k) => k.keyType).join(', ')} key${keys.length > 1 ? 's' : ''} listed for ${a.approver}); sign with ${a.approver}'s own key`;
  return undefined;
}

/**
 * The worker's check of a signed approval (an activity: the workflow has no node:crypto). An invalid
 * signature fails the update with the reason; the gate keeps waiting. The gate may have moved while the
 * worker checked (another approval used the nonce, it expired): the same rules are asked again.
 */
async function checkSigned(
  st: PromotionState,
  kind: 'approve' | 'reject',
  a: ApproveArgs | RejectArgs,
): Promise<ApprovalSignature | undefined> {
  const rules = st.approvalRules[a.environment];
  if (!rules?.signers || !a.signed) return undefined;
  const r = await call(
    'checkApprovalSignature',
    `check ${a.approver}'s signature on the ${kind} of ${a.environment}`,
    { statement: a.signed.statement, signature: a.signed.signature, allowedSigners: rules.signers.lines },
  );
  if (!r.valid)
    throw ApplicationFailure.create({
      type: 'ApprovalSignatureInvalid',
      message: `the signature does not verify: ${r.reason}`,
      nonRetryable: true,
    });
  const problem = approvalProblem(st, kind, a);
  // In a handler only a TemporalFailure fails the update (a plain Error would fail the workflow task).
  if (problem)
    throw ApplicationFailure.create({ type: 'ApprovalRefused', message: problem, nonRetryable: true });
  return {
    statement: a.signed.statement,
    signature: a.signed.signature,
    namespace: r.namespace,
    fingerprint: r.fingerprint,
    key: r.key,
  };
}

/** A signed approval used its nonce: remember it, and issue the next one for the next approver. */
function spendNonce(st: PromotionState, rec: ApprovalRecord, signature: ApprovalSignature | undefined) {
  if (!signature) return;
  const rules = st.approvalRules[rec.environment]!;
  rules.usedNonces.push(rec.nonce!);
  rec.nonce = uuid4();
}

export function answer(rec: ApprovalRecord, requester?: string): ApprovalAnswer {
  const done = new Set(rec.approvals.map((x) => x.approver));
  // Where the requester may not approve, the gate does not wait for them.
  if (requester !== undefined) done.add(requester);
  return {
    environment: rec.environment,
    decision: rec.decision,
    approvals: rec.approvals.length,
    required: rec.required,
    stillNeeded: rec.approvers.filter((n) => !done.has(n)),
  };
}

function approve(
  st: PromotionState,
  a: ApproveArgs,
  via: 'signal' | 'update',
  signature?: ApprovalSignature,
): ApprovalAnswer {
  const rec = st.approvals[a.environment]!;
  rec.approvals.push({
    approver: a.approver,
    at: new Date().toISOString(),
    ...(a.comment && { comment: a.comment }),
    via,
    ...(signature && { signature }),
  });
  spendNonce(st, rec, signature);
  if (rec.approvals.length >= rec.required) rec.decision = 'approved';
  st.onApprovalChange?.(rec);
  return answer(rec, st.approvalRules[rec.environment]?.requester);
}

function reject(
  st: PromotionState,
  a: RejectArgs,
  via: 'signal' | 'update',
  signature?: ApprovalSignature,
): ApprovalAnswer {
  const rec = st.approvals[a.environment]!;
  rec.rejection = {
    approver: a.approver,
    at: new Date().toISOString(),
    reason: a.reason,
    via,
    ...(signature && { signature }),
  };
  spendNonce(st, rec, signature);
  rec.decision = 'rejected';
  st.onApprovalChange?.(rec);
  return answer(rec, st.approvalRules[rec.environment]?.requester);
}

/** Whether a message needs the worker's signature check before it counts. */
const needsCheck = (st: PromotionState, a: ApproveArgs | RejectArgs) =>
  Boolean(st.approvalRules[a.environment]?.signers && a.signed);

/** A signal cannot wait for the worker's signature check: signed approvals go through the update. */
function signedBySignal(st: PromotionState, a: ApproveArgs | RejectArgs): string | undefined {
  return needsCheck(st, a)
    ? 'a signed approval is taken as an update (harbor-promote approve … --sign-key), not as a signal'
    : undefined;
}

export function refuse(problem: string | undefined): void {
  if (problem) throw new Error(problem); // rejects the update: nothing lands in history
}

/** The approve update's handler (after its validator); also used while the promotion starts (starting.ts). */
export function approveByUpdate(st: PromotionState, a: ApproveArgs) {
  return needsCheck(st, a)
    ? checkSigned(st, 'approve', a).then((sig) => approve(st, a, 'update', sig))
    : approve(st, a, 'update');
}

export function rejectByUpdate(st: PromotionState, a: RejectArgs) {
  return needsCheck(st, a)
    ? checkSigned(st, 'reject', a).then((sig) => reject(st, a, 'update', sig))
    : reject(st, a, 'update');
}

export function installHandlers(st: PromotionState): void {
  setHandler(statusQuery, () => st.status());
  // Unsigned messages stay synchronous, exactly as before signed approvals existed.
  setHandler(approveUpdate, (a) => approveByUpdate(st, a), {
    validator: (a) => refuse(approvalProblem(st, 'approve', a)),
  });
  setHandler(rejectUpdate, (a) => rejectByUpdate(st, a), {
    validator: (a) => refuse(approvalProblem(st, 'reject', a)),
  });
  setHandler(approveSignal, (a) => {
    const problem = approvalProblem(st, 'approve', a) ?? signedBySignal(st, a);
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
    const problem = approvalProblem(st, 'reject', a) ?? signedBySignal(st, a);
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
