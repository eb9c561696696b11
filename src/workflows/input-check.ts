/**
 * How promoteImage and rollbackImage read their input. A workflow started with this version has the
 * worker check it in an activity (checkPromotionInput / checkRollbackInput, src/activities/
 * input-check.ts), behind patched('input-check-activity'): zod and the schemas of src/domain are never
 * evaluated in its sandbox, where each cached workflow would hold its own copy of them (about 1 MB,
 * bench/workflow-heap.ts; tracker issue 13). test/unit/workflows/sandbox-modules.test.ts keeps it so.
 *
 * A history recorded before that has no marker and replays the check it made then, in the sandbox: the
 * schema module is `require`d here, inside the function, so webpack keeps it in the bundle but evaluates
 * it (and zod) only when such a history is replayed. Both ways fail the same: InvalidInput, non-retryable,
 * one line per problem naming the field.
 *
 * A regular activity, not a local one: with a local activity followed by patched('environment-lock') in
 * the same workflow task, the worker (SDK 1.24) failed to replay its own history for a query once the
 * workflow had left the cache ("Non-deprecated patch marker encountered for change environment-lock, but
 * there is no corresponding change command"). A regular activity costs one more workflow task at the start.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { InputCheck } from '../activities/contract.js';
import { FailureType } from '../domain/failures.js';
import { durationLimitProblems } from '../domain/pipeline-rules.js';
import type * as PromotionSchema from '../domain/promotion.js';
import type { PromotionInput, ValidPromotionInput } from '../domain/promotion.js';
import type * as RollbackSchema from '../domain/rollback.js';
import type { RollbackInput, ValidRollbackInput } from '../domain/rollback.js';
import { call } from './activities.js';

/** The marker of workflows whose input the worker checks (recorded by every promotion and rollback since). */
export const INPUT_CHECK_PATCH = 'input-check-activity';

/**
 * The checked input, or the workflow fails with InvalidInput. `starting` installs the handlers a client
 * may use while the worker checks (starting.ts) and returns how to remove them (when the input is bad).
 */
export async function checkedPromotionInput(
  raw: PromotionInput,
  starting: () => () => void,
): Promise<ValidPromotionInput> {
  const r = patched(INPUT_CHECK_PATCH)
    ? await byWorker(() => call('checkPromotionInput', 'check the promotion input', raw), starting)
    : promotionCheckInSandbox(raw);
  return accepted(r, 'promotion');
}

export async function checkedRollbackInput(
  raw: RollbackInput,
  starting: () => () => void,
): Promise<ValidRollbackInput> {
  const r = patched(INPUT_CHECK_PATCH)
    ? await byWorker(() => call('checkRollbackInput', 'check the rollback input', raw), starting)
    : rollbackCheckInSandbox(raw);
  return accepted(r, 'rollback');
}

async function byWorker<T>(
  check: () => Promise<InputCheck<T>>,
  starting: () => () => void,
): Promise<InputCheck<T>> {
  const remove = starting();
  const r = await check();
  // A rejected input fails the workflow without handlers, as when the sandbox checked it.
  if (!r.ok) remove();
  return r;
}

function accepted<T>(r: InputCheck<T>, what: 'promotion' | 'rollback'): T {
  if (r.ok) return r.input;
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid ${what} input:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`,
  });
}

/** The check of histories recorded before INPUT_CHECK_PATCH, command for command. */
function promotionCheckInSandbox(raw: PromotionInput): InputCheck<ValidPromotionInput> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see the header)
  const { checkPromotionInput } = require('../domain/promotion.js') as typeof PromotionSchema;
  let r = checkPromotionInput(raw, { limits: false });
  // Promotions started before the duration limits keep running; a new one out of them fails here (the
  // marker is recorded only for such an input, so valid inputs' histories do not change).
  if (r.ok && durationLimitProblems(r.input.pipeline).length > 0 && patched('duration-limits'))
    r = checkPromotionInput(raw);
  return r;
}

function rollbackCheckInSandbox(raw: RollbackInput): InputCheck<ValidRollbackInput> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see the header)
  const { checkRollbackInput } = require('../domain/rollback.js') as typeof RollbackSchema;
  return checkRollbackInput(raw);
}
