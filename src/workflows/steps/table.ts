/**
 * THE step order. The plan (`status` lists it up front), the UI details and the execution all come from
 * these tables, so they cannot disagree. A step runs in an environment when it is in that environment's
 * table and its `when` holds. To add a step: write one file in this folder (see docs/steps.md) and add
 * one row here.
 */
import type { Environment } from '../../domain/pipeline.js';
import { acquireEnvironment } from './acquire-environment.js';
import { approvalGate } from './approval-gate.js';
import { attestEnvironment } from './attest-environment.js';
import { awaitFreezeWindow } from './await-freeze-window.js';
import { awaitScanAndGate } from './await-scan-and-gate.js';
import { checkDigestAndSignature } from './check-digest-and-signature.js';
import { checkRequiredEvidence } from './check-required-evidence.js';
import { checkRollbackTarget } from './check-rollback-target.js';
import { copyToEnvironment } from './copy-to-environment.js';
import { proveFinalState } from './prove-final-state.js';
import { releaseEnvironment } from './release-environment.js';
import { rescanAndDetectQuarantine } from './rescan-and-detect-quarantine.js';
import { recordRollback } from './record-rollback.js';
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
  awaitFreezeWindow,
  checkRequiredEvidence,
  acquireEnvironment,
  copyToEnvironment,
  rescanAndDetectQuarantine,
  checkDigestAndSignature,
  updateOverlay,
  verificationGate,
  soak,
  attestEnvironment,
  releaseEnvironment,
];

/**
 * Steps added by the `environment-lock` patch: promotions started before it (their histories have no
 * marker) plan without them, so they replay and run on as they started.
 */
const ENVIRONMENT_LOCK_STEPS: readonly StepUnit[] = [acquireEnvironment, releaseEnvironment];

/** Once, after the last environment. */
export const FINAL_STEPS: readonly StepUnit[] = [proveFinalState];

/**
 * A rollback (`harbor-promote rollback`), all in the one environment it re-points: check the target digest,
 * pass the approval gate (left out with `rollback: { approval: false }`), point the overlay back, verify,
 * record. The environment lock goes around the overlay update and the verification, as in a promotion
 * (its input says `rollback: true`, so the lock lets it move the overlay back).
 */
export const ROLLBACK_STEPS: readonly StepUnit[] = [
  checkRollbackTarget,
  approvalGate,
  acquireEnvironment,
  updateOverlay,
  verificationGate,
  releaseEnvironment,
  recordRollback,
];

export interface PlannedStep {
  /** `<environment>/<step>`, or `<step>` for a promotion-wide step. */
  id: string;
  unit: StepUnit;
  env: Environment;
  /** The environment's position in the pipeline. */
  index: number;
}

/**
 * Every step this promotion runs, in the order it runs them. `environmentLock: false` leaves out the
 * environment lock steps (a promotion that started before them).
 */
export function planSteps(
  envs: readonly Environment[],
  opts: { environmentLock?: boolean } = {},
): PlannedStep[] {
  const plan: PlannedStep[] = [];
  const skipped = opts.environmentLock === false ? ENVIRONMENT_LOCK_STEPS : [];
  const add = (unit: StepUnit, env: Environment, index: number) => {
    if (unit.when(env) && !skipped.includes(unit)) plan.push({ id: stepId(unit, env), unit, env, index });
  };
  envs.forEach((env, i) => (i === 0 ? SOURCE_STEPS : DESTINATION_STEPS).forEach((u) => add(u, env, i)));
  FINAL_STEPS.forEach((u) => add(u, envs[envs.length - 1]!, envs.length - 1));
  return plan;
}

/** Every step a rollback in `env` (at position `index` of the pipeline) runs, in order. */
export function planRollback(
  env: Environment,
  index: number,
  opts: { environmentLock?: boolean } = {},
): PlannedStep[] {
  const skipped = opts.environmentLock === false ? ENVIRONMENT_LOCK_STEPS : [];
  return ROLLBACK_STEPS.filter((u) => u.when(env) && !skipped.includes(u)).map((unit) => ({
    id: stepId(unit, env),
    unit,
    env,
    index,
  }));
}
