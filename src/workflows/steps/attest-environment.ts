/**
 * Destination, after every gate of the environment (soak included): attach the signed SLSA verification
 * summary and the environment's promotion record to the digest in its project (docs/attestations.md).
 * Versioned: promotions started before this step existed skip it (their histories have no marker).
 */
import { patched } from '@temporalio/workflow';
import { environmentEvidence } from '../../domain/attestation-rules.js';
import { call } from '../activities.js';
import { defineStep } from './step.js';

export const attestEnvironment = defineStep({
  name: 'attestEnvironment',
  stage: 'attesting',
  prepare: () => patched('attest-environment'),
  skip: (_, isNew) => (isNew ? undefined : 'not in the version this promotion started with'),
  skipKeepsStage: true,
  detail: ({ run, env }) => `attesting ${run.digest} in ${run.at(env)}`,
  failure: ({ run, env }) => ({ where: `attesting in ${run.at(env)}` }),
  run: ({ run, env }) =>
    call('attestEnvironment', `cosign attest ${env.project}@${run.digest.slice(7, 19)}`, {
      artifact: run.artifact(env),
      pipeline: run.input.pipeline,
      evidence: environmentEvidence(run.record(), env.name),
    }),
  done: (r) => `signed VSA and promotion record (policy sha256:${r.policyDigest.slice(0, 12)})`,
  record(r, { run, env }) {
    (run.rec.attestations ??= {})[env.name] = r;
    run.attested.push(env);
  },
});
