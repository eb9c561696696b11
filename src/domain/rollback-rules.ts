/** The rollback's plan without zod, for the workflow bundle (see pipeline-rules.ts for why); rollback.ts re-exports it. */
import type { Environment, Pipeline } from './pipeline.js';

/**
 * The environment a rollback acts in and its position in the pipeline. With `rollback: { approval: false }`
 * the environment's approval gate is left out (the plan is built from this environment).
 */
export function rollbackEnvironment(pipeline: Pipeline, name: string): { env: Environment; index: number } {
  const index = pipeline.environments.findIndex((e) => e.name === name);
  const env = pipeline.environments[index];
  if (!env) throw new Error(`no environment ${name}`); // the input schema rules this out
  if (pipeline.rollback?.approval !== false) return { env, index };
  const { approval: _skipped, ...rest } = env;
  return { env: rest, index };
}
