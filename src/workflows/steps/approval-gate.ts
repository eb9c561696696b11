/** Destination with `approval`: wait until enough approvers said yes (or one said no, or it expired). */
import { condition } from '@temporalio/workflow';
import { durationMs } from '../../domain/duration.js';
import { FailureType } from '../../domain/failures.js';
import { answer } from '../approvals.js';
import { notify } from '../notify.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const approvalGate = defineStep({
  name: 'approvalGate',
  stage: 'awaiting-approval',
  when: (env) => env.approval !== undefined,
  detail: ({ env }) => `approval into ${env.name}`,
  async run({ run, env }) {
    const st = run.st;
    const approval = env.approval!;
    const expiryMs = durationMs(approval.expiry);
    const rec = st.openApproval(env.name, expiryMs, (rec) => {
      const a = answer(rec);
      const more = rec.required - a.approvals;
      return {
        kind: 'approval',
        environment: env.name,
        needs: `${more} more approval${more === 1 ? '' : 's'} into ${env.name} (${a.approvals}/${rec.required}) from ${a.stillNeeded.join(', ')}`,
        until: rec.expiresAt,
        command: `harbor-promote approve ${st.promotionId} --env ${env.name} --as <name>`,
      };
    });
    notify(run, 'waiting-approval', env, {
      command: `harbor-promote approve ${st.promotionId} --env ${env.name} --as <name>`,
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
