// The report body: valid against the spec's HarborVulnerabilityReport, findings carried field for field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAdvisories, matchAdvisories } from '../../../dev/harbor-sim/apk';
import { parseScanRequest } from '../../../dev/scanner-adapter/api';
import { buildReport, highestSeverity } from '../../../dev/scanner-adapter/report';
import { harborRequest } from './fixtures';
import { schema } from './spec';

const req = (() => {
  const r = parseScanRequest(JSON.stringify(harborRequest()));
  assert.ok(r.ok);
  return r.value;
})();

test('a report of real findings validates against the spec and carries each finding', async () => {
  const findings = matchAdvisories(
    [
      { name: 'openssl', version: '3.1.0-r0' },
      { name: 'zlib', version: '1.2.13-r0' },
    ],
    loadAdvisories(),
  );
  assert.ok(findings.length >= 3, 'fixture advisories match');
  const at = new Date('2026-11-29T05:00:00Z');
  const rep = buildReport(req, findings, at) as {
    generated_at: string;
    artifact: Record<string, unknown>;
    severity: string;
    vulnerabilities: Record<string, unknown>[];
  };
  assert.deepEqual(await (await schema('HarborVulnerabilityReport'))(rep), []);
  assert.equal(rep.generated_at, '2026-11-29T05:00:00.000Z');
  assert.deepEqual(rep.artifact, {
    repository: 'platform-dev/app',
    digest: req.artifact.digest,
    tag: 'v1',
    mime_type: 'application/vnd.oci.image.manifest.v1+json',
  });
  assert.equal(rep.severity, 'Critical'); // zlib CVE-2023-45853
  assert.equal(rep.vulnerabilities.length, findings.length);
  findings.forEach((f, i) => {
    const v = rep.vulnerabilities[i]!;
    assert.equal(v.id, f.id);
    assert.equal(v.package, f.package);
    assert.equal(v.version, f.version);
    assert.equal(v.fix_version, f.fix_version);
    assert.equal(v.severity, f.severity);
    assert.equal(v.status, f.fix_version ? 'fixed' : 'affected');
    assert.deepEqual(v.links, f.links);
    assert.deepEqual(v.preferred_cvss, { score_v3: f.score });
  });
  // no credential ever reaches a report
  assert.doesNotMatch(JSON.stringify(rep), /cm9ib3Q6c2VjcmV0|authorization/i);
});

test('severity: the highest found on the spec scale; a clean image says Unknown (the spec has no None)', async () => {
  assert.equal(highestSeverity([]), 'Unknown');
  assert.equal(highestSeverity([{ severity: 'Negligible' }, { severity: 'Low' }]), 'Low');
  assert.equal(highestSeverity([{ severity: 'Negligible' }]), 'Negligible');
  assert.equal(highestSeverity([{ severity: 'High' }, { severity: 'Medium' }]), 'High');
  const clean = buildReport(req, [], new Date());
  assert.deepEqual(await (await schema('HarborVulnerabilityReport'))(clean), []);
  assert.deepEqual((clean as { vulnerabilities: unknown[] }).vulnerabilities, []);
});
