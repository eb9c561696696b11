/**
 * The environment the worker, CLI and stack-backed tests read (docs/CONVENTIONS.md). `npm test` exports it
 * (scripts/test.sh evals `npm run stack -- env`); when a file is run on its own after `npm run stack -- up`
 * without that eval, the same values are computed from dev/stack so `node --import tsx --test FILE` works.
 */
import { binaryPath, isBuilt, loadTools, TOOL_ENV } from '../../scripts/tools';
import { stackConfig, type StackConfig } from '../../dev/stack/config';
import { stackEnv } from '../../dev/stack/stack';

export type Env = Record<string, string>;

/** Everything the stack would export, with values already in process.env taking precedence. */
export function testEnv(config: StackConfig = stackConfig(), preferProcessEnv = true): Env {
  const computed = stackEnv(config);
  const tools = loadTools();
  for (const [name, spec] of Object.entries(tools))
    if (isBuilt(name, spec)) computed[TOOL_ENV[name]!] = binaryPath(name, tools);
  const out: Env = {};
  for (const [k, v] of Object.entries(computed))
    out[k] = (preferProcessEnv ? process.env[k] : undefined) ?? v;
  return out;
}

/** A value from the test env; fails naming the variable and how to get it. */
export function need(env: Env, name: string): string {
  const v = env[name];
  if (!v)
    throw new Error(
      `${name} is not set: start the stack (npm run stack -- up) and eval "$(npm run -s stack -- env)"`,
    );
  return v;
}

/** Process env for a child (worker, CLI): the parent's env without the test stack's variables, plus `env`. */
export function childEnv(env: Env, extra: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...env, ...extra };
}
