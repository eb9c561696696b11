/**
 * Destination, after its last step: give the environment back, so the next promotion of the repository
 * can write there (acquireEnvironment took it). A failed or cancelled promotion releases in
 * promotion.ts instead (HeldEnvironments.releaseAll).
 */
import { defineStep } from './step.js';

export const releaseEnvironment = defineStep({
  name: 'releaseEnvironment',
  stage: 'releasing',
  detail: ({ run, env }) => `releasing ${run.at(env)}`,
  run: ({ run, env }) => run.locks.release(env.name),
  done: (released, { env }) => (released ? `released ${env.name}` : 'nothing to release'),
});
