/**
 * Once, at the end: the same signed digest is in every project of the promotion, and in every destination
 * the VSA and the promotion record verify (those attested: promotions from before attestEnvironment have
 * none, and make no call for them, so their histories replay unchanged).
 */
import { patched } from '@temporalio/workflow';
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
    const digests = () =>
      call('verifyDigests', `prove ${digest.slice(7, 19)} in ${run.envs.length} projects`, {
        digest,
        artifacts: run.envs.map((e) => run.artifact(e)),
      });
    const attestations = () =>
      call('verifyAttestations', `prove attestations in ${run.attested.length} projects`, {
        artifacts: run.attested.map((e) => run.artifact(e)),
      });
    // Both checks side by side (one workflow task, issue 13's drain); their verdicts are read in the same
    // order as before, so a wrong digest is still reported before a missing attestation. Promotions started
    // before run them one after the other, as their histories say.
    const both =
      run.attested.length > 0 && patched('parallel-proof')
        ? Promise.allSettled([digests(), attestations()])
        : undefined;
    const p = both ? settled((await both)[0]) : await digests();
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
    const a = both ? settled((await both)[1]) : await attestations();
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

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}
