/**
 * The promotion's plan without zod, for the workflow bundle (see pipeline-rules.ts for why); promotion.ts
 * re-exports it.
 */
import type { Environment } from './pipeline.js';
import type { ValidPromotionInput } from './promotion.js';

/**
 * The environments this promotion walks: the source, then each destination up to the target. A
 * destination's `freeze` here is every window that holds it: the pipeline-wide ones, then its own.
 */
export function plannedEnvironments(input: ValidPromotionInput): Environment[] {
  const envs = input.pipeline.environments;
  const last = input.targetEnvironment
    ? envs.findIndex((e) => e.name === input.targetEnvironment)
    : envs.length - 1;
  const shared = input.pipeline.freeze ?? [];
  return envs
    .slice(0, last + 1)
    .map((e, i) => (i > 0 && shared.length > 0 ? { ...e, freeze: [...shared, ...(e.freeze ?? [])] } : e));
}
