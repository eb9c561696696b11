/**
 * How a promotion is started (CLI and tests): deterministic id, static summary, search attributes, and
 * USE_EXISTING so starting the same repository+reference again returns the running promotion.
 * Client-side code; it imports only pure modules, so it is safe next to the workflow too.
 */
import {
  TypedSearchAttributes,
  WorkflowIdConflictPolicy,
  type SearchAttributePair,
} from '@temporalio/common';
import { isDigest } from '../domain/image-ref.js';
import {
  checkPromotionInput,
  plannedEnvironments,
  promotionSummary,
  promotionWorkflowId,
  type PromotionInput,
  type ValidPromotionInput,
} from '../domain/promotion.js';
import {
  PromotionEnvironment,
  PromotionRepository,
  PromotionStage,
  PromotionTag,
} from './search-attributes.js';

export const PROMOTE_WORKFLOW_TYPE = 'promoteImage';

export interface PromotionStartOptions {
  workflowId: string;
  args: [ValidPromotionInput];
  staticSummary: string;
  staticDetails: string;
  typedSearchAttributes: TypedSearchAttributes;
  workflowIdConflictPolicy: typeof WorkflowIdConflictPolicy.USE_EXISTING;
}

/**
 * Validates the input (throws an Error listing every problem, same messages as the workflow) and returns
 * the options for `client.workflow.start(PROMOTE_WORKFLOW_TYPE, { taskQueue, ...promotionStartOptions(input) })`.
 */
export function promotionStartOptions(raw: PromotionInput): PromotionStartOptions {
  const r = checkPromotionInput(raw);
  if (!r.ok) throw new Error(`invalid promotion input:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  const input = r.input;
  const envs = plannedEnvironments(input);
  const pairs: SearchAttributePair[] = [
    { key: PromotionRepository, value: input.repository },
    { key: PromotionEnvironment, value: envs[0]!.name },
    { key: PromotionStage, value: 'starting' },
    ...(isDigest(input.reference) ? [] : [{ key: PromotionTag, value: input.reference }]),
  ];
  return {
    workflowId: promotionWorkflowId(input.repository, input.reference),
    args: [input],
    staticSummary: promotionSummary(input),
    staticDetails: envs
      .map(
        (e) =>
          `- **${e.name}**: ${e.project}${e.approval ? ` (approval: ${e.approval.required} of ${e.approval.approvers.join(', ')})` : ''}`,
      )
      .join('\n'),
    typedSearchAttributes: new TypedSearchAttributes(pairs),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  };
}
