/** Destination, after the rescan: the copy holds the pinned digest, and its signature verifies there. */
import { FailureType } from '../../domain/failures.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const checkDigestAndSignature = defineStep({
  name: 'checkDigestAndSignature',
  stage: 'checking',
  detail: ({ run, env }) => `checking digest and signature in ${run.at(env)}`,
  failure: ({ run, env }) => ({ where: `signature in ${run.at(env)} after the copy` }),
  async run({ run, env }) {
    const copy = run.copy(env);
    if (copy.digest !== run.digest)
      throw fail(
        FailureType.DigestMismatch,
        `${run.at(env)} holds ${copy.digest} after the copy, not the pinned ${run.digest}; a copy must not rebuild (use copyStrategy harbor, or skopeo with --all --preserve-digests)`,
      );
    await call('verifySignature', `cosign verify ${env.project}@${run.digest.slice(7, 19)}`, {
      artifact: run.artifact(env),
    });
  },
  done: () => 'digest equal, signature valid',
});
