/** Destination with `approval`: wait until enough approvers said yes (or one said no, or it expired). */
import { condition, patched, uuid4 } from '@temporalio/workflow';
import { keysOf, parseAllowedSigners } from '../../domain/approval-statement-rules.js';
import { durationMs } from '../../domain/duration.js';
import { FailureType } from '../../domain/failures.js';
import type { Environment } from '../../domain/pipeline.js';
import type { ApprovalRecord } from '../../domain/promotion.js';
import { call } from '../activities.js';
import { answer } from '../approvals.js';
import type { ApprovalRules } from '../state.js';
import type { PromotionRun } from './context.js';
import { notify } from '../notify.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const approvalGate = defineStep({
  name: 'approvalGate',
  stage: 'awaiting-approval',
  when: (env) => env.approval !== undefined,
  detail: ({ env }) => `approval into ${env.name}`,
  async run({ run, env, index }) {
    const st = run.st;
    const approval = env.approval!;
    const expiryMs = durationMs(approval.expiry);
    // Before the gate opens: no approval may arrive before its rules are known.
    const rules = await approvalRules(run, env, index);
    if (rules) st.approvalRules[env.name] = rules;
    const signed = Boolean(rules?.signers);
    const rec = st.openApproval(env.name, expiryMs, (rec) => {
      const a = answer(rec, rules?.requester);
      const more = rec.required - a.approvals;
      return {
        kind: 'approval',
        environment: env.name,
        needs: `${more} more ${signed ? 'signed ' : ''}approval${more === 1 ? '' : 's'} into ${env.name} (${a.approvals}/${rec.required}) from ${a.stillNeeded.join(', ')}`,
        until: rec.expiresAt,
        command: `harbor-promote approve ${st.promotionId} --env ${env.name} --as <name>${signed ? ' --sign-key <ssh key>' : ''}`,
      };
    });
    notify(run, 'waiting-approval', env, {
      command: `harbor-promote approve ${st.promotionId} --env ${env.name} --as <name>${signed ? ' --sign-key <ssh key>' : ''}`,
      approvers: rec.approvers,
      required: rec.required,
      expiresAt: rec.expiresAt,
    });
    const decided = await condition(() => rec.decision !== 'pending', expiryMs, {
      summary: `approval into ${env.name} expires after ${approval.expiry}`,
    });
    st.closeApproval();
    if (!decided) {
      rec.decision = 'expired';
      throw fail(
        FailureType.ApprovalExpired,
        `approval into ${env.name} expired after ${approval.expiry} with ${rec.approvals.length}/${rec.required} approvals; start the promotion again and ask ${rec.approvers.join(', ')}`,
      );
    }
    if (rec.decision === 'rejected')
      throw fail(
        FailureType.ApprovalRejected,
        `${rec.rejection!.approver} rejected the promotion into ${env.name}: ${rec.rejection!.reason}`,
      );
    return rec.approvals.map((a) => a.approver);
  },
  done: (who) => `approved by ${who.join(', ')}`,
});

/**
 * The gate's rules beyond the approver list: separation of duties and signed approvals. Versioned
 * (`approval-rules`), and asked only where a rule applies (the requester is an approver, or keys are
 * listed), so promotions without either keep the history they always had.
 */
async function approvalRules(
  run: PromotionRun,
  env: Environment,
  index: number,
): Promise<ApprovalRules | undefined> {
  const approval = env.approval!;
  const requester = run.input.requestedBy;
  const selfRefused =
    approval.allowSelfApproval !== true && requester !== undefined && approval.approvers.includes(requester);
  const keyed = approval.allowedSigners !== undefined || approval.allowedSignersFile !== undefined;
  if (!(selfRefused || keyed) || !patched('approval-rules')) return undefined;
  const where = `environments[${index}].approval`;
  // A gate only the requester could complete would wait for nothing until it expires: say so now.
  if (selfRefused && approval.approvers.length - 1 < approval.required)
    throw fail(
      FailureType.InvalidInput,
      `${where}: ${env.name} needs ${approval.required} approvals but ${requester} requested this promotion and cannot approve it (separation of duties), which leaves ${approval.approvers.length - 1}; add an approver, lower required, or set allowSelfApproval: true`,
    );
  const rules: ApprovalRules = { ...(selfRefused && { requester }), usedNonces: [] };
  if (!keyed) return rules;
  const rec = run.st.approvals[env.name]!;
  let lines = approval.allowedSigners;
  let source = `${where}.allowedSigners`;
  if (approval.allowedSignersFile !== undefined) {
    const file = await call('readAllowedSigners', `read the approvers' keys for ${env.name}`, {
      environment: env.name,
      path: approval.allowedSignersFile,
    });
    lines = file.text.split('\n');
    source = `${where}.allowedSignersFile ${file.path} (GitOps commit ${file.commit.slice(0, 12)})`;
    rec.allowedSignersFile = { path: file.path, commit: file.commit };
  }
  const { signers, problems } = parseAllowedSigners(lines!.join('\n'));
  const keyless = approval.approvers.filter((name) => keysOf(signers, name).length === 0);
  if (problems.length > 0 || keyless.length > 0)
    throw fail(
      FailureType.InvalidInput,
      `${source}: ${[...problems, ...(keyless.length ? [`no key for ${keyless.join(', ')}`] : [])].join('; ')}; every approver needs a line "<name> ssh-ed25519 AAAA…"`,
    );
  return withSigners(rules, rec, signers.length ? lines! : []);
}

function withSigners(rules: ApprovalRules, rec: ApprovalRecord, lines: string[]): ApprovalRules {
  const kept = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  rec.signaturesRequired = true;
  rec.allowedSigners = kept;
  rec.nonce = uuid4(); // a fresh nonce per gate, and again after each signed approval
  return { ...rules, signers: { lines: kept, parsed: parseAllowedSigners(kept.join('\n')).signers } };
}
