/**
 * Required evidence per environment (issue 11, item 5) on the local test server: a destination that
 * `requires` evidence checks the artifact in the previous project before anything is copied into it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { failureOf, input, mockActivities, runPromotion, startTestEnv, testPipeline } from './helpers.js';

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
});

const toStaging = (requires: Array<'sbom' | 'provenance' | 'signature'>) =>
  input(
    testPipeline((p) => {
      p.environments[1]!.requires = requires;
    }),
    { targetEnvironment: 'staging' },
  );

describe('required evidence', () => {
  it('a missing SBOM fails as EvidenceMissing naming it and the project, and nothing is copied', async () => {
    const { acts, calls } = mockActivities({
      checkEvidence: async (i) =>
        i.requires.map((kind) => ({ kind, state: kind === 'sbom' ? ('none' as const) : ('valid' as const) })),
    });
    const r = await runPromotion(ctx, acts, toStaging(['signature', 'sbom', 'provenance']));
    const f = failureOf(r.error);
    assert.equal(f.type, 'EvidenceMissing');
    assert.match(f.message, /is missing sbom \(no cosign attestation/);
    assert.match(f.message, /dev \(platform-dev\/myservice\)/);
    assert.doesNotMatch(f.message, /(provenance|signature) \(/);
    // It asked about the artifact in the previous project, for exactly what staging requires.
    const check = calls.find((c) => c.name === 'checkEvidence')!.input as {
      artifact: { project: string };
      requires: string[];
    };
    assert.equal(check.artifact.project, 'platform-dev');
    assert.deepEqual(check.requires, ['signature', 'sbom', 'provenance']);
    for (const name of ['copyArtifact', 'updateOverlay', 'attestEnvironment'] as const)
      assert.ok(!calls.some((c) => c.name === name), `${name} ran after the evidence check failed`);
    const step = r.status.steps.find((s) => s.id === 'staging/checkRequiredEvidence')!;
    assert.equal(step.state, 'failed');
  });

  it('with every required piece present the promotion copies and completes', async () => {
    const { acts, calls } = mockActivities();
    const r = await runPromotion(ctx, acts, toStaging(['sbom', 'provenance']));
    assert.equal(r.error, undefined, String(r.error));
    const names = calls.map((c) => c.name);
    assert.ok(
      names.indexOf('checkEvidence') >= 0 && names.indexOf('checkEvidence') < names.indexOf('copyArtifact'),
    );
    assert.equal(r.result!.steps.find((s) => s.id === 'staging/checkRequiredEvidence')!.state, 'succeeded');
  });
});
