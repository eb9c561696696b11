/**
 * Once, at the end: the same signed digest is in every project of the promotion, and in every destination
 * the VSA and the promotion record verify (those attested: promotions from before attestEnvironment have
 * none, and make no call for them, so their histories replay unchanged).
 */
import { FailureType } from '../../domain/failures.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

export const proveFinalState = defineStep({
  name: 'proveFinalState',
  stage: 'proving',
  scope: 'promotion',
  detail: ({ run }) => `checking ${run.digest} in every project`,
  failure: () => ({ where: 'final check' }),
  async run({ run }) {
    const digest = run.digest;
    const p = await call('verifyDigests', `prove ${digest.slice(7, 19)} in ${run.envs.length} projects`, {
      digest,
      artifacts: run.envs.map((e) => run.artifact(e)),
    });
    const wrong = p.filter((x) => x.digest !== digest);
    if (wrong.length)
      throw fail(
        FailureType.DigestMismatch,
        `${wrong.map((x) => `${x.project}/${x.repository} holds ${x.digest}`).join('; ')}, not ${digest}; someone pushed over the tag: promote again`,
        undefined,
        p,
      );
    const unsigned = p.filter((x) => !x.signed);
    if (unsigned.length)
      throw fail(
        FailureType.SignatureInvalid,
        `no valid signature in ${unsigned.map((x) => x.project).join(', ')}; re-sign or promote again`,
        undefined,
        p,
      );
    if (run.attested.length === 0) return p;
    const a = await call('verifyAttestations', `prove attestations in ${run.attested.length} projects`, {
      artifacts: run.attested.map((e) => run.artifact(e)),
    });
    const attested = new Set(a.map((x) => x.project));
    return p.map((x) => (attested.has(x.project) ? { ...x, attested: true } : x));
  },
  done: (p) =>
    `same signed digest in ${p.map((x) => x.project).join(', ')}${
      p.some((x) => x.attested)
        ? `; VSA and record verify in ${p
            .filter((x) => x.attested)
            .map((x) => x.project)
            .join(', ')}`
        : ''
    }`,
  record(p, { run }) {
    run.rec.proof = p;
  },
});
