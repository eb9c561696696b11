// A Harbor whose answer changed shape (harbor-sim's `artifactFields` fault): the activity fails at once with
// a non-retryable HarborIncompatible naming the endpoint, the field and Harbor's version, instead of 15 min
// of Transient retries. `null` where an array is expected is Harbor v2.15.2's normal answer and just works.
// Run alone or with --test-concurrency=1: faults are global to the sim.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { activity, activityFixture, DEV, failure, withRetries } from './helpers.js';

const { acts, connection, sim, ci, repo } = activityFixture('incompatible');
const ARTIFACT = 'GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}';
let digest = '';

before(async () => {
  await sim.clearFaults();
  digest = (await ci.image(`${DEV}/${repo}`, '1.0')).digest;
  await sim.completeScans();
});
afterEach(() => sim.clearFaults());
after(() => connection.close());

const setArtifactFields = (fields: Record<string, unknown>) =>
  sim.call('PUT', '/_sim/faults', { artifactFields: fields });
const apiRequests = async () => (await sim.counters()).api?.requests ?? 0;

describe('HarborIncompatible', () => {
  it('a field of another shape fails at once, naming endpoint, field and Harbor version', async () => {
    await setArtifactFields({ tags: 42 });
    await sim.resetCounters();
    const t0 = Date.now();
    let calls = 0;
    await assert.rejects(
      withRetries(() => {
        calls++;
        return activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' });
      }),
      (e: { nonRetryable?: boolean }) => {
        assert.equal(e.nonRetryable, true);
        return failure(
          'HarborIncompatible',
          `resolve ${DEV}/${repo}:1.0: Harbor v2.15.2-sim answered ${ARTIFACT}`,
          "field 'tags': expected array, received number",
        )(e);
      },
    );
    assert.equal(calls, 1, 'not retried by the (simulated) Temporal retry policy');
    assert.ok(Date.now() - t0 < 5_000, `failed in ${Date.now() - t0} ms`);
    assert.equal(await apiRequests(), 2, 'the artifact GET, not retried, and /systeminfo once');
    // The version is cached per connection: the next mismatch asks only for the artifact.
    await assert.rejects(
      activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' }),
      failure('HarborIncompatible', 'v2.15.2-sim'),
    );
    assert.equal(await apiRequests(), 3);
  });

  it('a nested field: the path names the entry (ensureScanned reading scan_overview)', async () => {
    await setArtifactFields({
      scan_overview: { 'application/vnd.security.vulnerability.report; version=1.1': 7 },
    });
    await assert.rejects(
      activity(acts.ensureScanned, {
        artifact: { project: DEV, repository: repo, digest },
        pollIntervalMs: 50,
      }),
      failure(
        'HarborIncompatible',
        `read scan of ${DEV}/${repo}@${digest}`,
        "field 'scan_overview.application/vnd.security.vulnerability.report; version=1.1': expected object, received number",
      ),
    );
  });

  it('null arrays, as Harbor v2.15.2 sends them, read as empty', async () => {
    await setArtifactFields({ tags: null, accessories: null, references: null, labels: null });
    const r = await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: digest });
    assert.equal(r.digest, digest);
    assert.deepEqual(r.tags, []);
  });
});
