/**
 * Signed approvals, the pure half (no crypto, so the workflow bundle can use it too; all but the statement's
 * zod schema is in approval-statement-rules.ts, re-exported here, which the workflow imports instead):
 *
 * - the approval statement an approver signs, and its canonical bytes;
 * - the approvers' public keys, given as git/OpenSSH `allowed_signers` lines.
 *
 * The signature itself (SSHSIG, `ssh-keygen -Y sign`) is checked by sshsig.ts with node:crypto.
 *
 * Canonical form: the statement is a JSON object whose values are all strings, serialized with its keys
 * in lexicographic order, no whitespace, UTF-8, no trailing newline: exactly
 * `JSON.stringify(statement-with-sorted-keys)`. For an object of strings this is also its RFC 8785 (JCS)
 * form, so any language can rebuild the bytes. The bytes signed are the statement text as it is stored
 * in the promotion record (`ApprovalSignature.statement`); a verifier checks those bytes, then reads the
 * fields from them.
 */
import { z } from 'zod';
import { APPROVAL_STATEMENT_TYPE, canonicalApprovalStatement } from './approval-statement-rules.js';

export * from './approval-statement-rules.js';

export const ApprovalStatementSchema = z.strictObject({
  type: z.literal(APPROVAL_STATEMENT_TYPE, { error: `must be "${APPROVAL_STATEMENT_TYPE}"` }),
  /** The promotion's workflow id, e.g. `promote-myservice@1.4.2`. */
  promotionId: z.string().min(1),
  environment: z.string().min(1),
  /** The pinned digest the approver saw (`sha256:…`). */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'must be a sha256 digest' }),
  /** The name in the pipeline's approvers (`--as`), and a principal of the signing key. */
  approver: z.string().min(1),
  decision: z.enum(['approve', 'reject'], { error: 'must be "approve" or "reject"' }),
  /** The approval comment, or the rejection's reason; "" when none. */
  comment: z.string(),
  /** When the approver signed (ISO 8601, UTC); informational, the nonce is what binds it to the gate. */
  time: z.iso.datetime({ error: 'must be an ISO 8601 UTC time such as 2026-01-01T00:00:00.000Z' }),
  /** The gate's current nonce (status shows it): each accepted signed approval makes the gate issue a new one. */
  nonce: z.string().min(8),
});
export type ApprovalStatement = z.output<typeof ApprovalStatementSchema>;

/**
 * Reads a signed statement text: valid JSON, the schema, and canonical (re-serializing gives the same
 * text), so two different byte strings can never stand for the same statement.
 */
export function parseApprovalStatement(
  text: string,
): { ok: true; statement: ApprovalStatement } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the approval statement is not JSON' };
  }
  const r = ApprovalStatementSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const where = i.path.length ? ` field ${i.path.join('.')}` : '';
    return { ok: false, problem: `approval statement${where}: ${i.message}` };
  }
  if (canonicalApprovalStatement(r.data) !== text)
    return {
      ok: false,
      problem: 'the approval statement is not in canonical form (sorted keys, no whitespace)',
    };
  return { ok: true, statement: r.data };
}
