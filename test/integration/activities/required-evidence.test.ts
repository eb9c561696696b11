// Required evidence (issue 11, item 5) against the stack with a real image and the real cosign: CI's
// SBOM and provenance attestations (test/support/build-evidence.ts) and the sign step's `.sig` in dev are
// what checkEvidence finds; decideEvidence turns that into EvidenceMissing naming exactly what is missing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef } from '../../../src/activities/contract.js';
import { decideEvidence, type EvidenceKind } from '../../../src/domain/evidence.js';
import { attestBuildEvidence, type BuildEvidence } from '../../../dev/demo/build-evidence';
import { activity, activityFixture, DEV, STAGING } from './helpers.js';

const { env, cfg, acts, connection, sim, ci, repo } = activityFixture('evidence');
const host = new URL(env.HARBOR_URL!).host;
const keyPassword = env.COSIGN_PASSWORD ?? readFileSync(env.COSIGN_PASSWORD_FILE!, 'utf8').trim();
const ALL: EvidenceKind[] = ['signature', 'sbom', 'provenance'];
const WHERE = `dev (${DEV}/${repo})`;

function attest(
  a: ArtifactRef,
  kinds: BuildEvidence[],
  key = { file: env.COSIGN_KEY_FILE!, pw: keyPassword },
) {
  return attestBuildEvidence({
    cosignBin: cfg.cosignBin,
    keyFile: key.file,
    keyPassword: key.pw,
    image: `${host}/${a.project}/${a.repository}@${a.digest}`,
    username: env.HARBOR_CI_USERNAME!,
    password: env.HARBOR_CI_PASSWORD!,
    plainHttp: env.HARBOR_URL!.startsWith('http:'),
    kinds,
  });
}

async function decide(a: ArtifactRef, requires = ALL) {
  const found = await activity(acts.checkEvidence, { artifact: a, requires });
  return { found, ...decideEvidence(requires, found, WHERE, 'staging') };
}

async function signedImage(label: string): Promise<ArtifactRef> {
  const img = await ci.image(`${DEV}/${repo}`, label);
  const a = { project: DEV, repository: repo, digest: img.digest };
  await activity(acts.signImage, { artifact: a }); // the source's sign step
  return a;
}

before(() => sim.clearFaults());
after(() => connection.close());

describe('checkEvidence with the real cosign', () => {
  it('without the SBOM: EvidenceMissing names sbom and where; with it the requirement is met', async () => {
    const a = await signedImage('one');
    const bare = await decide(a);
    assert.deepEqual(bare.missing, ['sbom', 'provenance']);
    await attest(a, ['provenance']);
    const noSbom = await decide(a);
    assert.deepEqual(noSbom.missing, ['sbom'], noSbom.message);
    assert.match(
      noSbom.message,
      new RegExp(
        `^staging requires signature, sbom, provenance; dev \\(${DEV}/${repo}\\) is missing sbom \\(no cosign attestation of type https://spdx.dev/Document`,
      ),
    );
    await attest(a, ['sbom']);
    const all = await decide(a);
    assert.deepEqual(all.missing, [], all.message);
    assert.deepEqual(
      all.found.map((f) => [f.kind, f.state, f.predicateType]),
      [
        ['signature', 'valid', undefined],
        ['sbom', 'valid', 'https://spdx.dev/Document'],
        ['provenance', 'valid', 'https://slsa.dev/provenance/v1'],
      ],
    );
  });

  it('evidence signed by a key the pipeline does not trust does not count', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hp-otherkey-'));
    execFileSync(cfg.cosignBin, ['generate-key-pair', '--output-key-prefix', join(d, 'other')], {
      env: { ...process.env, COSIGN_PASSWORD: 'other-pw' },
      stdio: 'ignore',
    });
    const a = await signedImage('other-key');
    await attest(a, ['sbom', 'provenance'], { file: join(d, 'other.key'), pw: 'other-pw' });
    const r = await decide(a, ['sbom']);
    assert.deepEqual(r.missing, ['sbom']);
    assert.equal(r.found[0]!.state, 'invalid');
    assert.match(r.message, /does not verify with the promoter's public key/);
  });

  it('a server-side copy carries the evidence along, so the next environment finds it there too', async () => {
    const a = await signedImage('carried');
    await attest(a, ['sbom', 'provenance']);
    const r = await activity(acts.copyArtifact, {
      from: a,
      to: { project: STAGING, repository: repo },
      strategy: 'harbor',
    });
    assert.equal(r.digest, a.digest);
    await sim.completeScans();
    const found = await activity(acts.checkEvidence, { artifact: { ...a, project: STAGING }, requires: ALL });
    assert.deepEqual(
      found.map((f) => [f.kind, f.state]),
      [
        ['signature', 'valid'],
        ['sbom', 'valid'],
        ['provenance', 'valid'],
      ],
    );
  });

  it('an unsigned image misses its signature', async () => {
    const img = await ci.image(`${DEV}/${repo}`, 'unsigned');
    const r = await decide({ project: DEV, repository: repo, digest: img.digest }, ['signature']);
    assert.deepEqual(r.missing, ['signature']);
    assert.match(r.message, /is missing signature \(no cosign signature\)/);
  });
});
