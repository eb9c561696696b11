/**
 * Destination with `requires` (tracker issue 11, item 5): before anything is copied into the environment,
 * the artifact in the previous environment's project must carry the required evidence (sbom, provenance,
 * signature), valid with the promoter's cosign public key. The activity reads and verifies; the decision
 * (src/domain/evidence.ts) is pure, so the failure names exactly what is missing and where.
 */
import { patched } from '@temporalio/workflow';
import { decideEvidence, type EvidenceFinding } from '../../domain/evidence-rules.js';
import { FailureType } from '../../domain/failures.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const checkRequiredEvidence = defineStep<EvidenceFinding[], boolean>({
  name: 'checkRequiredEvidence',
  stage: 'checking',
  when: (env) => (env.requires?.length ?? 0) > 0,
  // A new step: histories from before it skip it without a command (they cannot have `requires` anyway).
  prepare: () => patched('required-evidence'),
  skip: (_, isNew) => (isNew ? undefined : 'not in the version this promotion started with'),
  skipKeepsStage: true,
  detail: ({ run, env, previous }) =>
    `checking ${env.requires!.join(', ')} of ${run.digest} in ${run.at(previous!)}`,
  failure: ({ run, previous }) => ({ where: `required evidence in ${run.at(previous!)}` }),
  async run({ run, env, previous }) {
    const found = await call('checkEvidence', `evidence ${env.requires!.join('+')} in ${previous!.project}`, {
      artifact: run.artifact(previous!),
      requires: [...env.requires!],
    });
    const d = decideEvidence(env.requires!, found, run.at(previous!), env.name);
    if (d.missing.length > 0) throw fail(FailureType.EvidenceMissing, d.message);
    return found;
  },
  done: (found, { env, run, previous }) =>
    decideEvidence(env.requires!, found, run.at(previous!), env.name).message,
});
