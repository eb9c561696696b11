/**
 * Typed search attributes of a promotion. The local stack registers them with the dev server, tests pass
 * them to TestWorkflowEnvironment, the workflow upserts them and the CLI's `list` queries them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PromotionRepository = defineSearchAttributeKey(
  'PromotionRepository',
  SearchAttributeType.KEYWORD,
);
export const PromotionTag = defineSearchAttributeKey('PromotionTag', SearchAttributeType.KEYWORD);
export const PromotionDigest = defineSearchAttributeKey('PromotionDigest', SearchAttributeType.KEYWORD);
export const PromotionEnvironment = defineSearchAttributeKey(
  'PromotionEnvironment',
  SearchAttributeType.KEYWORD,
);
/** e.g. `scanning`, `awaiting-approval`, `copying`, `verifying`, `completed`, `failed`. */
export const PromotionStage = defineSearchAttributeKey('PromotionStage', SearchAttributeType.KEYWORD);

export const PROMOTION_SEARCH_ATTRIBUTES = [
  PromotionRepository,
  PromotionTag,
  PromotionDigest,
  PromotionEnvironment,
  PromotionStage,
];
