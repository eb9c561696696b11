// Harbor-only activities against the live stack (harbor-sim): resolveDigest, ensureScanned,
// readProjectPolicy, checkPullable — success paths and every failure type they raise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildActivities } from '../../../src/activities/index.js';
import {
  activity,
  activityFixture,
  configFromEnv,
  DEV,
  failure,
  guestConfig,
  PROD,
  runActivity,
  STAGING,
} from './helpers.js';

const { env, acts, connection, sim, ci, repo } = activityFixture('harbor');
let image: { digest: string };
let pushedAt = '';

before(async () => {
  await sim.clearFaults();
  await sim.scanDuration(300);
  pushedAt = new Date().toISOString();
  image = await ci.image(`${DEV}/${repo}`, '1.0.0'); // platform-dev auto-scans on push
});
after(async () => {
  await sim.clearFaults();
  await connection.close();
});

describe('resolveDigest', () => {
  it('resolves a tag and a digest to the same pinned digest', async () => {
    const byTag = await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0.0' });
    assert.equal(byTag.digest, image.digest);
    assert.deepEqual(byTag.tags, ['1.0.0']);
    assert.equal(byTag.manifestMediaType, 'application/vnd.oci.image.manifest.v1+json');
    const byDigest = await activity(acts.resolveDigest, {
      project: DEV,
      repository: repo,
      reference: image.digest,
    });
    assert.equal(byDigest.digest, image.digest);
  });

  it('keeps an index digest as such', async () => {
    const idx = await ci.index(`${DEV}/${repo}`, 'multi');
    const r = await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: 'multi' });
    assert.equal(r.digest, idx.digest);
    assert.equal(r.manifestMediaType, 'application/vnd.oci.image.index.v1+json');
  });

  it('404 → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.resolveDigest, { project: DEV, repository: repo, reference: 'nope' }),
      failure('ImageNotFound', /not found/),
    );
  });

  it('403 → PermissionDenied naming the project and the role', async () => {
    // The CI robot has no permission at all in platform-staging.
    const { activities: ciActs, connection: c } = buildActivities(
      configFromEnv(env, {
        harborUsername: env.HARBOR_CI_USERNAME!,
        harborPassword: { value: env.HARBOR_CI_PASSWORD! },
      }),
    );
    await assert.rejects(
      activity(ciActs.resolveDigest, { project: STAGING, repository: repo, reference: 'x' }),
      failure('PermissionDenied', `project '${STAGING}'`, 'Guest role', 'artifact:read'),
    );
    await c.close();
  });

  it('bad input → InvalidInput without calling Harbor', async () => {
    await assert.rejects(
      activity(acts.resolveDigest, { project: 'Bad Name', repository: repo, reference: 'x' }),
      failure('InvalidInput'),
    );
    await assert.rejects(
      activity(acts.resolveDigest, { project: DEV, repository: repo, reference: 'sha256:zz' }),
      failure('InvalidInput'),
    );
  });
});

describe('ensureScanned', () => {
  it('waits, heartbeating, for the running auto-scan that started after notBefore', async () => {
    const notBefore = pushedAt;
    const run = runActivity(acts.ensureScanned, {
      artifact: { project: DEV, repository: repo, digest: image.digest },
      notBefore,
      pollIntervalMs: 100,
    });
    const s = await run.result;
    const beats = run.heartbeats;
    assert.equal(s.status, 'Success');
    assert.ok(Date.parse(s.startTime) >= Date.parse(notBefore));
    assert.equal(s.severity, 'None');
    assert.ok(beats.length > 0, 'heartbeats while waiting');
  });

  it('returns an existing fresh report at once (no new scan)', async () => {
    const first = await activity(acts.ensureScanned, {
      artifact: { project: DEV, repository: repo, digest: image.digest },
      pollIntervalMs: 100,
    });
    const again = await activity(acts.ensureScanned, {
      artifact: { project: DEV, repository: repo, digest: image.digest },
      pollIntervalMs: 100,
    });
    assert.equal(again.reportId, first.reportId);
  });

  it('no scanner (412) → ScannerUnavailable', async () => {
    await sim.faults({}, 'unavailable');
    try {
      const fresh = await ci.image(`${DEV}/${repo}`, 'noscan');
      await activity(acts.copyArtifact, {
        from: { project: DEV, repository: repo, digest: fresh.digest },
        to: { project: STAGING, repository: repo },
        strategy: 'harbor',
      });
      await assert.rejects(
        activity(acts.ensureScanned, {
          artifact: { project: STAGING, repository: repo, digest: fresh.digest },
          pollIntervalMs: 100,
        }),
        failure('ScannerUnavailable', STAGING, 'no available scanner'),
      );
      // `scan: { required: false }` environments pass on exactly this answer (details.noScanner).
      const err = (await activity(acts.ensureScanned, {
        artifact: { project: STAGING, repository: repo, digest: fresh.digest },
        pollIntervalMs: 100,
      }).catch((e: unknown) => e)) as { details?: unknown[] };
      assert.deepEqual(err.details, [{ noScanner: true }]);
    } finally {
      await sim.clearFaults();
    }
  });

  it('triggers a scan when the report is older than notBefore; 403 when the role lacks scan:create', async () => {
    // A guest may read the stale report but not start a new scan.
    const guest = buildActivities(configFromEnv(env, guestConfig(env)));
    await assert.rejects(
      activity(guest.activities.ensureScanned, {
        artifact: { project: DEV, repository: repo, digest: image.digest },
        notBefore: new Date(Date.now() + 1000).toISOString(),
        pollIntervalMs: 100,
      }),
      failure('PermissionDenied', `project '${DEV}'`, 'Developer role', 'scan:create'),
    );
    await guest.connection.close();
    await activity(acts.copyArtifact, {
      from: { project: DEV, repository: repo, digest: image.digest },
      to: { project: STAGING, repository: repo },
      strategy: 'harbor',
    });
    const later = new Date(Date.now() + 1000).toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    const s = await activity(acts.ensureScanned, {
      artifact: { project: STAGING, repository: repo, digest: image.digest },
      notBefore: later,
      pollIntervalMs: 100,
    });
    assert.ok(Date.parse(s.startTime) >= Date.parse(later));
    assert.equal(s.status, 'Success');
  });

  it('404 → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.ensureScanned, {
        artifact: { project: DEV, repository: repo, digest: 'sha256:' + '0'.repeat(64) },
      }),
      failure('ImageNotFound'),
    );
  });
});

describe('readProjectPolicy', () => {
  it('reads prevent_vul, severity, cosign enforcement and the effective allowlist', async () => {
    const p = await activity(acts.readProjectPolicy, { project: PROD });
    assert.deepEqual(
      { ...p, allowlist: undefined },
      {
        project: PROD,
        autoScan: true,
        preventVulnerable: true,
        severity: 'high',
        cosignRequired: true,
        allowlist: undefined,
      },
    );
    assert.ok(Array.isArray(p.allowlist));
    const d = await activity(acts.readProjectPolicy, { project: DEV });
    assert.equal(d.preventVulnerable, false);
    assert.equal(d.cosignRequired, false);
  });

  it('a project that does not exist answers 403 to a non-admin → PermissionDenied', async () => {
    await assert.rejects(
      activity(acts.readProjectPolicy, { project: 'no-such-project' }),
      failure('PermissionDenied', 'no-such-project'),
    );
  });
});

describe('checkPullable', () => {
  it('pullable when no policy blocks it', async () => {
    assert.deepEqual(
      await activity(acts.checkPullable, {
        artifact: { project: DEV, repository: repo, digest: image.digest },
      }),
      { pullable: true },
    );
  });

  it('412 → Quarantined with Harbor’s own message (unsigned image in a cosign-enforcing project)', async () => {
    const r = await activity(acts.copyArtifact, {
      from: { project: DEV, repository: repo, digest: image.digest },
      to: { project: PROD, repository: repo },
      strategy: 'harbor',
    });
    assert.equal(r.digest, image.digest);
    await assert.rejects(
      activity(acts.checkPullable, { artifact: { project: PROD, repository: repo, digest: image.digest } }),
      failure('Quarantined', 'The image is not signed by cosign.'),
    );
  });

  it('404 → ImageNotFound', async () => {
    await assert.rejects(
      activity(acts.checkPullable, {
        artifact: { project: DEV, repository: repo, digest: 'sha256:' + '0'.repeat(64) },
      }),
      failure('ImageNotFound'),
    );
  });
});
