// signImage / verifySignature with the real cosign v3.1.2 against harbor-sim: sign once (a rerun adds no
// second signature), --recursive for an index, wrong key → SignatureInvalid, unsigned → SignatureInvalid.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildActivities } from '../../../src/activities/index.js';
import { activity, activityFixture, configFromEnv, DEV, failure, guestConfig, STAGING } from './helpers.js';

const { env, cfg, acts, connection, api, sim, ci, repo } = activityFixture('cosign');

/** A second key pair: signatures made with the stack key must not verify with it. */
function otherKeyPair(): { key: string; pub: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hp-otherkey-'));
  execFileSync(cfg.cosignBin, ['generate-key-pair', '--output-key-prefix', join(dir, 'other')], {
    env: { ...process.env, COSIGN_PASSWORD: 'other-pw' },
    stdio: 'ignore',
  });
  return { key: join(dir, 'other.key'), pub: join(dir, 'other.pub') };
}

before(async () => {
  await sim.clearFaults();
});
after(() => connection.close());

/**
 * The seeded promoter robot may push (sign) in staging/production but only pull in platform-dev, so the
 * images are pushed to dev by CI and copied server-side to staging, where they are signed.
 */
async function inStaging(tag: string): Promise<{ project: string; repository: string; digest: string }> {
  const img = await ci.image(`${DEV}/${repo}`, tag);
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
  await sim.completeScans(); // staging blocks pulls (cosign reads the manifest) while its auto-scan runs
  return { project: STAGING, repository: repo, digest: img.digest };
}

describe('signImage / verifySignature', () => {
  it('signs once; a second run verifies first and adds nothing', async () => {
    const artifact = await inStaging('one');
    const img = artifact;
    await assert.rejects(
      activity(acts.verifySignature, { artifact }),
      failure('SignatureInvalid', 'no cosign signature'),
    );
    const first = await activity(acts.signImage, { artifact });
    assert.equal(first.signed, true);
    assert.ok(first.signatureDigest?.startsWith('sha256:'));
    assert.deepEqual(await activity(acts.verifySignature, { artifact }), { verified: true });
    const second = await activity(acts.signImage, { artifact });
    assert.equal(second.signed, false);
    const sigs = await api.listAccessories(STAGING, repo, img.digest, 'signature.cosign');
    assert.equal(sigs.length, 1);
    // The .sig tag still holds the same manifest: re-signing would have appended a layer (new digest).
    const sigArtifact = await api.getArtifact(STAGING, repo, `${img.digest.replace(':', '-')}.sig`, {
      withTag: false,
    });
    assert.equal(sigArtifact.digest, second.signatureDigest);
  });

  it('signs an index recursively (index and every child)', async () => {
    const idx = await ci.index(`${DEV}/${repo}`, 'multi');
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${idx.digest}`);
    await sim.completeScans();
    const r = await activity(acts.signImage, {
      artifact: { project: STAGING, repository: repo, digest: idx.digest },
    });
    assert.equal(r.signed, true);
    for (const d of [idx.digest, ...idx.children]) {
      assert.deepEqual(
        await activity(acts.verifySignature, { artifact: { project: STAGING, repository: repo, digest: d } }),
        { verified: true },
      );
      assert.equal((await api.listAccessories(STAGING, repo, d, 'signature.cosign')).length, 1, d);
    }
    assert.equal(
      (
        await activity(acts.signImage, {
          artifact: { project: STAGING, repository: repo, digest: idx.digest },
        })
      ).signed,
      false,
    );
  });

  it('wrong key → SignatureInvalid; and signImage with our key adds our signature next to the foreign one', async () => {
    const artifact = await inStaging('wrongkey');
    const other = otherKeyPair();
    const foreign = buildActivities(
      configFromEnv(env, {
        cosignKey: { file: other.key },
        cosignPublicKey: { file: other.pub },
        cosignPassword: { value: 'other-pw' },
      }),
    );
    assert.equal((await activity(foreign.activities.signImage, { artifact })).signed, true);
    await assert.rejects(
      activity(acts.verifySignature, { artifact }),
      failure('SignatureInvalid', 'configured public key'),
    );
    assert.equal((await activity(acts.signImage, { artifact })).signed, true);
    assert.deepEqual(await activity(acts.verifySignature, { artifact }), { verified: true });
    await foreign.connection.close();
  });

  it('no push permission → PermissionDenied naming the project and role', async () => {
    const artifact = await inStaging('nopush');
    const guest = buildActivities(configFromEnv(env, guestConfig(env)));
    await assert.rejects(
      activity(guest.activities.signImage, { artifact }),
      failure('PermissionDenied', `project '${STAGING}'`, 'Developer role', 'repository:push'),
    );
    await guest.connection.close();
  });

  it('a COSIGN_PASSWORD that does not open the key → InvalidInput naming it and the fix, not retried', async () => {
    const artifact = await inStaging('wrongpw');
    const wrong = buildActivities(configFromEnv(env, { cosignPassword: { value: 'Wr0ng-Passw0rd-123' } }));
    await assert.rejects(activity(wrong.activities.signImage, { artifact }), (e: unknown) => {
      assert.equal((e as { nonRetryable?: boolean }).nonRetryable, true);
      return failure(
        'InvalidInput',
        `COSIGN_PASSWORD does not open COSIGN_KEY_FILE ${env.COSIGN_KEY_FILE}`,
      )(e);
    });
    await assert.rejects(
      activity(acts.verifySignature, { artifact }),
      failure('SignatureInvalid', 'no cosign signature'),
    );
    await wrong.connection.close();
  });

  it('missing image → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.signImage, {
        artifact: { project: DEV, repository: repo, digest: 'sha256:' + '0'.repeat(64) },
      }),
      failure('ImageNotFound'),
    );
  });
});
