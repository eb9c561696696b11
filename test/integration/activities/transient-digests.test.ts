// Issue 15: a Harbor 5xx during `cosign sign` or a skopeo copy is transient, also when the image's digest
// contains "401", "403" or "412" (cosign and skopeo print the digest in their error). The first attempt
// under the fault must fail retryable (not PermissionDenied, not Quarantined); once Harbor recovers, the
// retry completes. Before the fix, cosign's /401|403|…/ and skopeo's /412|…/ made these permanent.
// Run alone or with --test-concurrency=1: faults are global to the sim.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { activity, activityFixture, DEV, PROD, STAGING, withRetries } from './helpers.js';

const { acts, connection, api, sim, ci, repo } = activityFixture('transient-digests');
const NEEDLES = ['401', '403', '412'] as const;
const digests: Record<string, string> = {};

before(async () => {
  await sim.clearFaults();
  for (const n of NEEDLES) {
    digests[n] = (await ci.image(`${DEV}/${repo}`, `d${n}`, { digestContains: n })).digest;
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${digests[n]}`);
  }
  await sim.completeScans(); // staging blocks pulls (cosign and skopeo read the manifest) while it scans
});
afterEach(() => sim.clearFaults());
after(() => connection.close());

/** The first attempt under the fault: a retryable failure that names the digest. */
async function failsRetryable(run: () => Promise<unknown>, digest: string): Promise<void> {
  await assert.rejects(run, (e: { type?: string; nonRetryable?: boolean; message?: string }) => {
    assert.equal(e.nonRetryable, false, `${e.type}: ${e.message}`);
    assert.ok(
      e.message?.includes(digest.slice('sha256:'.length)),
      `the tool printed the digest: ${e.message}`,
    );
    return true;
  });
}

describe('a 5xx while cosign signs an image whose digest contains 401/403/412', () => {
  for (const n of NEEDLES)
    it(`digest …${n}…: retried, then signed once`, async () => {
      const artifact = { project: STAGING, repository: repo, digest: digests[n]! };
      assert.match(artifact.digest, new RegExp(n));
      await sim.faults({
        v2: { status: 503, errorRate: 1, methods: ['POST'], pathIncludes: '/blobs/uploads/' },
      });
      await failsRetryable(() => activity(acts.signImage, { artifact }), artifact.digest);
      await sim.clearFaults();
      const { result } = await withRetries(() => activity(acts.signImage, { artifact }));
      assert.equal(result.signed, true);
      assert.deepEqual(await activity(acts.verifySignature, { artifact }), { verified: true });
    });
});

describe('a 5xx while skopeo copies an image whose digest contains 401/403/412', () => {
  for (const n of NEEDLES)
    it(`digest …${n}…: retried, then copied with the same digest`, async () => {
      const digest = digests[n]!;
      const input = {
        from: { project: STAGING, repository: repo, digest },
        to: { project: PROD, repository: repo },
        strategy: 'skopeo' as const,
        tag: `d${n}`,
      };
      // skopeo reads the source manifest by digest: a 500 there puts the digest into its error.
      await sim.faults({
        v2: { status: 500, errorRate: 1, methods: ['GET', 'HEAD'], pathIncludes: `/manifests/${digest}` },
      });
      await failsRetryable(() => activity(acts.copyArtifact, input), digest);
      await sim.clearFaults();
      const { result } = await withRetries(() => activity(acts.copyArtifact, input));
      assert.equal(result.digest, digest);
      assert.equal((await api.listArtifacts(PROD, repo, `digest=${digest}`)).length, 1);
    });
});
