/**
 * Rollback, first: the target digest is in the environment's project, validly signed by the promoter's key and
 * pullable there (not quarantined by a finding that appeared since). Nothing is changed before this passes.
 */
import { FailureType } from '../../domain/failures.js';
import { repositoryIn } from '../../domain/pipeline-rules.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const checkRollbackTarget = defineStep({
  name: 'checkRollbackTarget',
  stage: 'checking',
  detail: ({ run, env }) => `checking ${run.digest} in ${run.at(env)}: present, signed, pullable`,
  failure: ({ run, env }) => ({
    where: `rollback target ${run.digest} in ${run.at(env)}`,
    advice: {
      type: FailureType.ImageNotFound,
      text: `A rollback goes only to a digest that was promoted into ${env.name}; see \`harbor-promote list --repository ${run.input.repository}\`, or use --previous.`,
    },
  }),
  async run({ run, env }) {
    const short = run.digest.slice(7, 19);
    const r = await call('resolveDigest', `resolve ${short} in ${env.project}`, {
      project: env.project,
      repository: repositoryIn(env, run.input.repository),
      reference: run.digest,
    });
    if (r.digest !== run.digest)
      throw fail(
        FailureType.DigestMismatch,
        `${run.at(env)} answered ${r.digest} for ${run.digest}; check the registry (a proxy or mirror may rewrite manifests)`,
      );
    await call('verifySignature', `verify signature ${env.project}@${short}`, {
      artifact: run.artifact(env),
    });
    // After the signature: an unsigned image in a project that requires cosign is refused as unsigned.
    await call('checkPullable', `pull check ${env.project}@${short}`, { artifact: run.artifact(env) });
    return r;
  },
  done: () => 'present, validly signed and pullable',
  record(r, { run }) {
    run.rec.manifestMediaType = r.manifestMediaType;
  },
});
