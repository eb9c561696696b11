/**
 * THE step order. The plan (`status` lists it up front), the UI details and the execution all come from
 * these tables, so they cannot disagree. A step runs in an environment when it is in that environment's
 * table and its `when` holds. To add a step: write one file in this folder (see docs/steps.md) and add
 * one row here.
 */
import type { Environment } from '../../domain/pipeline.js';
import { approvalGate } from './approval-gate.js';
import { attestEnvironment } from './attest-environment.js';
import { awaitScanAndGate } from './await-scan-and-gate.js';
import { checkDigestAndSignature } from './check-digest-and-signature.js';
import { copyToEnvironment } from './copy-to-environment.js';
import { proveFinalState } from './prove-final-state.js';
import { rescanAndDetectQuarantine } from './rescan-and-detect-quarantine.js';
import { resolveAndPin } from './resolve-and-pin.js';
import { sign } from './sign.js';
import { soak } from './soak.js';
import { stepId, type StepUnit } from './step.js';
import { updateOverlay } from './update-overlay.js';
import { verificationGate } from './verification-gate.js';

/** The first environment (where the image is pushed): pin, gate on the scan, sign. */
export const SOURCE_STEPS: readonly StepUnit[] = [resolveAndPin, awaitScanAndGate, sign];

/** Every later environment, in order. */
export const DESTINATION_STEPS: readonly StepUnit[] = [
  approvalGate,
  copyToEnvironment,
  rescanAndDetectQuarantine,
  checkDigestAndSignature,
  updateOverlay,
  verificationGate,
  soak,
  attestEnvironment,
];

/** Once, after the last environment. */
export const FINAL_STEPS: readonly StepUnit[] = [proveFinalState];

export interface PlannedStep {
  /** `<environment>/<step>`, or `<step>` for a promotion-wide step. */
  id: string;
  unit: StepUnit;
  env: Environment;
  /** The environment's position in the pipeline. */
  index: number;
}

/** Every step this promotion runs, in the order it runs them. */
export function planSteps(envs: readonly Environment[]): PlannedStep[] {
  const plan: PlannedStep[] = [];
  const add = (unit: StepUnit, env: Environment, index: number) => {
    if (unit.when(env)) plan.push({ id: stepId(unit, env), unit, env, index });
  };
  envs.forEach((env, i) => (i === 0 ? SOURCE_STEPS : DESTINATION_STEPS).forEach((u) => add(u, env, i)));
  FINAL_STEPS.forEach((u) => add(u, envs[envs.length - 1]!, envs.length - 1));
  return plan;
}
