/**
 * checkApprovalSignature: the SSHSIG check of a signed approval, run by the worker because the workflow
 * sandbox has no node:crypto. Pure computation (src/domain/sshsig.ts); an invalid signature is an answer
 * (`valid: false` with the reason), not a failure, so it is never retried.
 */
import { APPROVAL_NAMESPACE } from '../domain/approval-statement.js';
import { verifyApprovalSignature } from '../domain/sshsig.js';
import type { ApprovalSignatureResult, CheckApprovalSignatureInput } from './contract.js';

export function approvalActivities() {
  return {
    async checkApprovalSignature(input: CheckApprovalSignatureInput): Promise<ApprovalSignatureResult> {
      const r = verifyApprovalSignature(input.statement, input.signature, input.allowedSigners.join('\n'));
      return r.valid
        ? { valid: true, fingerprint: r.fingerprint, key: r.key, namespace: APPROVAL_NAMESPACE }
        : { valid: false, reason: r.reason };
    },
  };
}
