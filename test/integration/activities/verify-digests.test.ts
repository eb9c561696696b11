// verifyDigests: the pinned digest present, served and validly signed in every project; DigestMismatch,
// SignatureInvalid, Quarantined and ImageNotFound otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { activity, activityFixture, DEV, failure, PROD, STAGING } from './helpers.js';

const { acts, connection, api, sim, ci, repo } = activityFixture('verify');
let digest = '';
let other = '';

before(async () => {
  await sim.clearFaults();
  digest = (await ci.image(`${DEV}/${repo}`, '2.0')).digest;
  other = (await ci.image(`${DEV}/${repo}`, 'other')).digest;
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${digest}`);
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${other}`);
  await sim.completeScans();
  await activity(acts.signImage, { artifact: { project: STAGING, repository: repo, digest } });
  await activity(acts.copyArtifact, {
    from: { project: STAGING, repository: repo, digest },
    to: { project: PROD, repository: repo },
    strategy: 'harbor',
  });
  await sim.completeScans();
});
after(() => connection.close());

const at = (project: string, d = digest) => ({ project, repository: repo, digest: d });

describe('verifyDigests', () => {
  it('proves the same signed digest in every project (by digest and by tag)', async () => {
    const proofs = await activity(acts.verifyDigests, { digest, artifacts: [at(STAGING), at(PROD)] });
    assert.deepEqual(proofs, [
      { project: STAGING, repository: repo, digest, signed: true },
      { project: PROD, repository: repo, digest, signed: true },
    ]);
    assert.equal(
      (await activity(acts.verifyDigests, { digest, tag: '2.0', artifacts: [at(STAGING), at(PROD)] })).length,
      2,
    );
  });

  it('a recorded digest that differs from the pinned one → DigestMismatch', async () => {
    await assert.rejects(
      activity(acts.verifyDigests, { digest, artifacts: [at(STAGING, other)] }),
      failure('DigestMismatch', other, digest),
    );
  });

  it('a tag that points elsewhere → DigestMismatch', async () => {
    await api.createTag(STAGING, repo, other, 'moved');
    await assert.rejects(
      activity(acts.verifyDigests, { digest, tag: 'moved', artifacts: [at(STAGING)] }),
      failure('DigestMismatch', 'moved', other),
    );
  });

  it('unsigned → SignatureInvalid; unsigned in a cosign-enforcing project → Quarantined', async () => {
    await assert.rejects(
      activity(acts.verifyDigests, { digest: other, artifacts: [at(STAGING, other)] }),
      failure('SignatureInvalid'),
    );
    await api.copyArtifact(PROD, repo, `${STAGING}/${repo}@${other}`);
    await sim.completeScans();
    await assert.rejects(
      activity(acts.verifyDigests, { digest: other, artifacts: [at(PROD, other)] }),
      failure('Quarantined', 'The image is not signed by cosign.'),
    );
  });

  it('one unsigned project among signed ones → SignatureInvalid naming that project', async () => {
    // The digest was signed in staging (and copied on to production), never in dev.
    await assert.rejects(
      activity(acts.verifyDigests, { digest, artifacts: [at(STAGING), at(DEV), at(PROD)] }),
      failure('SignatureInvalid', `${DEV}/${repo}@${digest}`),
    );
  });

  it('missing in a project → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.verifyDigests, {
        digest,
        artifacts: [{ project: PROD, repository: `${repo}-absent`, digest }],
      }),
      failure('ImageNotFound'),
    );
  });
});
