/** Source environment: wait for Harbor's scan of the pinned digest and gate on the severity threshold. */
import { defineStep } from './step.js';
import { prepareScan, scanGate, scanIsOff, scanOff } from './scan-gate.js';

export const awaitScanAndGate = defineStep({
  name: 'awaitScanAndGate',
  stage: 'scanning',
  prepare: prepareScan,
  skip: (ctx, plan) => (scanIsOff(plan) ? scanOff(ctx) : undefined),
  detail: ({ run, env }) => `waiting for a finished scan in ${run.at(env)}`,
  run: (ctx, plan) => scanGate(ctx, plan),
  done: (message) => message,
});
