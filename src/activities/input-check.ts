/**
 * The workflows' input checks, run by the worker as activities: the zod schemas of src/domain stay out
 * of the workflow sandbox, where every cached workflow would evaluate its own copy of zod and of the
 * schemas (about 1 MB of heap each, bench/workflow-heap.ts; tracker issue 13). A bad input is an answer
 * (`ok: false` with one line per problem), not a failure: the workflow fails with InvalidInput exactly as
 * when it checked the input itself (src/workflows/input-check.ts).
 */
import { checkPromotionInput } from '../domain/promotion.js';
import { checkRollbackInput } from '../domain/rollback.js';
import type { InputCheckActivities } from './contract.js';

export function inputCheckActivities(): InputCheckActivities {
  return {
    // With the duration limits: a workflow that checks its input here was started after they existed.
    checkPromotionInput: async (input) => checkPromotionInput(input),
    checkRollbackInput: async (input) => checkRollbackInput(input),
  };
}
