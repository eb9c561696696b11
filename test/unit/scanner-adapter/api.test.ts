// Scan request validation (400 vs 422 naming the field), report type negotiation, metadata Harbor accepts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIME, metadata, parseScanRequest, pickReportMime } from '../../../dev/scanner-adapter/api';
import { harborRequest } from './fixtures';
import { schema } from './spec';

test('a scan request as Harbor sends it is accepted, unknown fields and all', () => {
  const r = parseScanRequest(JSON.stringify(harborRequest()));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.artifact.repository, 'platform-dev/app');
  assert.equal(r.value.registry.authorization, 'Basic cm9ib3Q6c2VjcmV0');
  // an older Harbor sends no enabled_capabilities
  assert.ok(parseScanRequest(JSON.stringify(harborRequest({ enabled_capabilities: undefined }))).ok);
});

test('a body that is not a JSON object is a 400; a bad field is a 422 naming the field and the fix', () => {
  const bad = (body: unknown) => {
    const r = parseScanRequest(typeof body === 'string' ? body : JSON.stringify(body));
    assert.ok(!r.ok, `accepted ${JSON.stringify(body)}`);
    return r;
  };
  assert.equal(bad('{not json').status, 400);
  assert.equal(bad('[1]').status, 400);
  const noUrl = bad({ ...harborRequest(), registry: {} });
  assert.equal(noUrl.status, 422);
  assert.equal(noUrl.message, 'registry.url: is required');
  const h = harborRequest();
  assert.match(
    bad({ ...h, artifact: { ...h.artifact, digest: 'latest' } }).message,
    /^artifact\.digest: must be a digest/,
  );
  assert.match(
    bad({ ...h, artifact: { ...h.artifact, repository: 'app' } }).message,
    /^artifact\.repository:/,
  );
  assert.match(bad({ registry: h.registry }).message, /^artifact: is required/);
  assert.match(
    bad({ ...h, registry: { url: 'http://robot:secret@127.0.0.1:8080' } }).message,
    /registry\.url: must not carry credentials; send them in registry\.authorization/,
  );
  assert.match(bad({ ...h, registry: { url: 'ftp://127.0.0.1' } }).message, /registry\.url: must use http/);
  assert.match(
    bad({ ...h, registry: { ...h.registry, authorization: 'robot:secret' } }).message,
    /registry\.authorization: must be "Basic <base64>" or "Bearer <token>"/,
  );
  assert.match(
    bad({ ...h, enabled_capabilities: [{ type: 'sbom', produces_mime_types: [] }] }).message,
    /enabled_capabilities: this scanner only does type "vulnerability"/,
  );
});

test('the report type follows Accept: either produced type, */* or none means 1.1, anything else null', () => {
  assert.equal(pickReportMime(undefined), MIME.reportV11);
  assert.equal(pickReportMime('*/*'), MIME.reportV11);
  assert.equal(pickReportMime('application/vnd.security.vulnerability.report;version=1.1'), MIME.reportV11);
  assert.equal(pickReportMime(MIME.reportNative), MIME.reportNative);
  assert.equal(
    pickReportMime(`application/vnd.scanner.adapter.vuln.report.raw, ${MIME.reportNative}`),
    MIME.reportNative,
  );
  assert.equal(pickReportMime('application/vnd.security.sbom.report+json; version=1.0'), null);
});

test('metadata matches the spec and what Harbor v2.15 checks when the scanner is registered', async () => {
  const md = metadata('2026-01-01T00:00:00.000Z') as {
    scanner: Record<string, string>;
    capabilities: { type: string; consumes_mime_types: string[]; produces_mime_types: string[] }[];
  };
  assert.deepEqual(await (await schema('ScannerAdapterMetadata'))(md), []);
  // ScannerAdapterMetadata.Validate(): name, vendor, version; the Docker manifest type; 1.0 or 1.1 report
  for (const k of ['name', 'vendor', 'version']) assert.ok(md.scanner[k], k);
  for (const c of md.capabilities) {
    assert.equal(c.type, 'vulnerability');
    assert.ok(c.consumes_mime_types.includes('application/vnd.docker.distribution.manifest.v2+json'));
    assert.ok(c.consumes_mime_types.includes('application/vnd.oci.image.manifest.v1+json'));
    assert.ok(c.produces_mime_types.includes(MIME.reportV11));
  }
});
