// copyArtifact with both strategies against harbor-sim and the real skopeo: signature/SBOM carried,
// idempotent (one copy, one signature), repair of a missing signature, no image bytes through the worker
// for the server-side copy, and its failure types.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildActivities } from '../../../src/activities/index.js';
import {
  activity,
  activityFixture,
  configFromEnv,
  DEV,
  failure,
  PROD,
  STAGING,
  withRetries,
} from './helpers.js';

const { env, acts, connection, api, sim, ci, repo } = activityFixture('copy');
const LAYER = 2 * 1024 * 1024;

/** CI pushes to dev; a server-side copy puts it in staging (the promoter may sign there, not in dev). */
async function staged(tag: string, opts: { sign?: boolean; layerBytes?: number } = {}) {
  const img = await ci.image(`${DEV}/${repo}`, tag, { layerBytes: opts.layerBytes });
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
  await sim.completeScans();
  const artifact = { project: STAGING, repository: repo, digest: img.digest };
  if (opts.sign) await activity(acts.signImage, { artifact });
  return { artifact, size: img.size };
}

async function countIn(project: string, digest: string) {
  const arts = await api.listArtifacts(project, repo, `digest=${digest}`);
  const sigs = await api.listAccessories(project, repo, digest, 'signature.cosign');
  return { artifacts: arts.length, signatures: sigs.length };
}

before(() => sim.clearFaults());
after(() => connection.close());

describe('copyArtifact strategy harbor', () => {
  it('copies with the signature, moves no image bytes through the worker, and is idempotent', async () => {
    const { artifact, size } = await staged('h1', { sign: true, layerBytes: LAYER });
    const before = connection.stats.bytesReceived;
    const r = await activity(acts.copyArtifact, {
      from: artifact,
      to: { project: PROD, repository: repo },
      strategy: 'harbor',
    });
    const received = connection.stats.bytesReceived - before;
    assert.equal(r.digest, artifact.digest);
    assert.equal(r.strategy, 'harbor');
    assert.equal(r.bytesThroughWorker, 0);
    assert.equal(r.signatureRepaired, false);
    assert.ok(Date.parse(r.copiedAt) <= Date.now());
    // Only JSON answers reached the client: far less than the 2 MiB layer that was copied.
    assert.ok(
      size > LAYER && received < 64 * 1024,
      `client received ${received} bytes for a ${size} byte image`,
    );
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });

    const again = await activity(acts.copyArtifact, {
      from: artifact,
      to: { project: PROD, repository: repo },
      strategy: 'harbor',
    });
    assert.equal(again.signatureRepaired, false);
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });
    await sim.completeScans();
    assert.deepEqual(await activity(acts.verifySignature, { artifact: { ...artifact, project: PROD } }), {
      verified: true,
    });
  });

  it('repairs the signature when the digest was copied before it was signed', async () => {
    const { artifact } = await staged('h2');
    await activity(acts.copyArtifact, {
      from: artifact,
      to: { project: PROD, repository: repo },
      strategy: 'harbor',
    });
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 0 });
    await sim.completeScans(); // the copy's auto-scan re-scans the shared digest report, staging included
    await activity(acts.signImage, { artifact });
    // Harbor does not re-copy accessories; the activity re-signs in production. The re-copy starts an
    // auto-scan there, and cosign may not read the manifest until it ends: Temporal retries that.
    const { result } = await withRetries(() =>
      activity(acts.copyArtifact, {
        from: artifact,
        to: { project: PROD, repository: repo },
        strategy: 'harbor',
      }),
    );
    assert.equal(result.signatureRepaired, true);
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });
    const third = await withRetries(() =>
      activity(acts.copyArtifact, {
        from: artifact,
        to: { project: PROD, repository: repo },
        strategy: 'harbor',
      }),
    );
    assert.equal(third.result.signatureRepaired, false);
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });
  });

  it('source missing → ImageNotFound; no create permission → PermissionDenied naming project and role', async () => {
    await assert.rejects(
      activity(acts.copyArtifact, {
        from: { project: STAGING, repository: repo, digest: 'sha256:' + '0'.repeat(64) },
        to: { project: PROD, repository: repo },
        strategy: 'harbor',
      }),
      failure('ImageNotFound'),
    );
    const img = await ci.image(`${DEV}/${repo}`, 'h3');
    const ciActs = buildActivities(
      configFromEnv(env, {
        harborUsername: env.HARBOR_CI_USERNAME!,
        harborPassword: { value: env.HARBOR_CI_PASSWORD! },
      }),
    );
    await assert.rejects(
      activity(ciActs.activities.copyArtifact, {
        from: { project: DEV, repository: repo, digest: img.digest },
        to: { project: STAGING, repository: repo },
        strategy: 'harbor',
      }),
      failure('PermissionDenied', `project '${STAGING}'`, 'Developer role', 'artifact:create'),
    );
    await ciActs.connection.close();
  });

  it('a destination tag that already names another digest → DigestMismatch', async () => {
    const a = await ci.image(`${DEV}/${repo}`, 'h4a');
    const b = await staged('h4b');
    await api.createTag(STAGING, repo, b.artifact.digest, 'pinned');
    await assert.rejects(
      activity(acts.copyArtifact, {
        from: { project: DEV, repository: repo, digest: a.digest },
        to: { project: STAGING, repository: repo },
        tag: 'pinned',
        strategy: 'harbor',
      }),
      failure('DigestMismatch', 'pinned', b.artifact.digest),
    );
  });
});

describe('copyArtifact strategy skopeo', () => {
  it('copies digest, signature and the .att tag; a second run leaves one copy and one signature', async () => {
    const { artifact, size } = await staged('s1', { sign: true, layerBytes: 256 * 1024 });
    // A tag-style attestation next to the image (skopeo never carries these by itself).
    const attTag = `${artifact.digest.replace(':', '-')}.att`;
    const att = await ci.image(`${DEV}/${repo}`, attTag);
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}:${attTag}`);
    await sim.completeScans();

    const r = await activity(acts.copyArtifact, {
      from: artifact,
      to: { project: PROD, repository: repo },
      tag: 's1',
      strategy: 'skopeo',
    });
    assert.equal(r.digest, artifact.digest);
    assert.equal(r.strategy, 'skopeo');
    assert.equal(r.signatureRepaired, false, 'the signature arrived through use-sigstore-attachments');
    assert.ok(r.bytesThroughWorker >= size);
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });
    assert.equal((await api.getArtifact(PROD, repo, attTag, { withTag: false })).digest, att.digest);
    assert.equal((await api.getArtifact(PROD, repo, 's1', { withTag: false })).digest, artifact.digest);

    const again = await withRetries(() =>
      activity(acts.copyArtifact, {
        from: artifact,
        to: { project: PROD, repository: repo },
        tag: 's1',
        strategy: 'skopeo',
      }),
    );
    assert.equal(again.result.signatureRepaired, false);
    assert.deepEqual(await countIn(PROD, artifact.digest), { artifacts: 1, signatures: 1 });
    await sim.completeScans();
    assert.deepEqual(await activity(acts.verifySignature, { artifact: { ...artifact, project: PROD } }), {
      verified: true,
    });
  });

  it('copies a multi-arch index with --all, keeping the index digest', async () => {
    const idx = await ci.index(`${DEV}/${repo}`, 's2');
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${idx.digest}`);
    await sim.completeScans();
    const r = await activity(acts.copyArtifact, {
      from: { project: STAGING, repository: repo, digest: idx.digest },
      to: { project: PROD, repository: repo },
      tag: 's2',
      strategy: 'skopeo',
    });
    assert.equal(r.digest, idx.digest);
    for (const c of idx.children)
      assert.equal((await api.getArtifact(PROD, repo, c, { withTag: false })).digest, c);
  });

  it('missing source → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.copyArtifact, {
        from: { project: STAGING, repository: repo, digest: 'sha256:' + '0'.repeat(64) },
        to: { project: PROD, repository: repo },
        tag: 'x',
        strategy: 'skopeo',
      }),
      failure('ImageNotFound'),
    );
  });
});
