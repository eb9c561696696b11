/** What `approve` and `reject` share: the --env option and the one-line answer. */
import { Option } from 'commander';
import type { ApprovalAnswer } from '../../workflows/messages.js';

export const envOption = () =>
  new Option('--env <environment>', 'the environment of the gate, e.g. production').makeOptionMandatory();

export function answerLine(kind: 'approve' | 'reject', a: ApprovalAnswer, by: string): string {
  if (kind === 'reject') return `rejected ${a.environment} as ${by}: the promotion stops (ApprovalRejected)`;
  if (a.decision === 'approved')
    return `approved ${a.environment} as ${by}: ${a.approvals} of ${a.required} approvals, the promotion moves on`;
  return `recorded approval of ${a.environment} by ${by}: ${a.approvals} of ${a.required}; still needed from: ${a.stillNeeded.join(', ')}`;
}
