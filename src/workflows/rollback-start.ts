/**
 * How a rollback is started (CLI and tests): deterministic id, static summary, the promotion search
 * attributes (so `list` shows it next to promotions), and USE_EXISTING so asking for the same rollback
 * while it runs returns the running one. Client-side code; it imports only pure modules.
 */
import {
  TypedSearchAttributes,
  WorkflowIdConflictPolicy,
  type SearchAttributePair,
} from '@temporalio/common';
import {
  checkRollbackInput,
  rollbackSummary,
  rollbackWorkflowId,
  type RollbackInput,
  type ValidRollbackInput,
} from '../domain/rollback.js';
import {
  PromotionDigest,
  PromotionEnvironment,
  PromotionRepository,
  PromotionStage,
  PromotionTag,
} from './search-attributes.js';

export const ROLLBACK_WORKFLOW_TYPE = 'rollbackImage';

export interface RollbackStartOptions {
  workflowId: string;
  args: [ValidRollbackInput];
  staticSummary: string;
  staticDetails: string;
  typedSearchAttributes: TypedSearchAttributes;
  workflowIdConflictPolicy: typeof WorkflowIdConflictPolicy.USE_EXISTING;
}

/** Validates the input (throws an Error listing every problem) and returns the start options. */
export function rollbackStartOptions(raw: RollbackInput): RollbackStartOptions {
  const r = checkRollbackInput(raw);
  if (!r.ok) throw new Error(`invalid rollback input:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  const input = r.input;
  const env = input.pipeline.environments.find((e) => e.name === input.environment)!;
  const gate = env.approval && input.pipeline.rollback?.approval !== false;
  const pairs: SearchAttributePair[] = [
    { key: PromotionRepository, value: input.repository },
    { key: PromotionEnvironment, value: input.environment },
    { key: PromotionStage, value: 'starting' },
    { key: PromotionDigest, value: input.to },
    ...(input.tag ? [{ key: PromotionTag, value: input.tag }] : []),
  ];
  return {
    workflowId: rollbackWorkflowId(input.environment, input.repository, input.to),
    args: [input],
    staticSummary: rollbackSummary(input),
    staticDetails: [
      `- **${input.environment}**: ${env.project}, overlay ${env.overlay!.path}`,
      `- to: ${input.to}${input.tag ? ` (${input.tag})` : ''}${input.promotedBy ? `, promoted by ${input.promotedBy}` : ''}`,
      ...(input.from ? [`- from: ${input.from}`] : []),
      gate
        ? `- approval: ${env.approval!.required} of ${env.approval!.approvers.join(', ')}`
        : '- approval: none for rollbacks',
      ...(input.requestedBy ? [`- requested by ${input.requestedBy}`] : []),
    ].join('\n'),
    typedSearchAttributes: new TypedSearchAttributes(pairs),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  };
}
