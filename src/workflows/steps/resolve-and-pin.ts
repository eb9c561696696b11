/** Source environment: resolve the reference to a digest; from here on only that digest is used. */
import { FailureType } from '../../domain/failures.js';
import { isDigest } from '../../domain/image-ref.js';
import { repositoryIn } from '../../domain/pipeline-rules.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const resolveAndPin = defineStep({
  name: 'resolveAndPin',
  stage: 'resolving',
  detail: ({ run, env }) => `resolving ${run.input.reference} in ${run.at(env)}`,
  failure: ({ run, env }) => ({ where: `resolving ${run.input.reference} in ${run.at(env)}` }),
  async run({ run, env }) {
    const ref = run.input.reference;
    const r = await call('resolveDigest', `resolve ${ref} in ${env.project}`, {
      project: env.project,
      repository: repositoryIn(env, run.input.repository),
      reference: ref,
    });
    if (isDigest(ref) && r.digest !== ref)
      throw fail(
        FailureType.DigestMismatch,
        `${run.at(env)} answered ${r.digest} for ${ref}; check the registry (a proxy or mirror may rewrite manifests)`,
      );
    return r;
  },
  done: (r) => `pinned ${r.digest}`,
  record(r, { run }) {
    run.rec.digest = r.digest;
    run.rec.manifestMediaType = r.manifestMediaType;
    if (r.pushTime) run.rec.pushTime = r.pushTime;
    run.st.pin(r.digest);
  },
});
