// The HTTP surface as Harbor's client (pkg/scan/rest/v1/client.go) uses it, with the registry scan stubbed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADVISORIES_PATH } from '../../../dev/harbor-sim/apk';
import { MIME } from '../../../dev/scanner-adapter/api';
import type { ScanOutcome } from '../../../dev/scanner-adapter/jobs';
import { REFRESH_AFTER_S, ScannerAdapter } from '../../../dev/scanner-adapter/server';
import { harborRequest } from './fixtures';
import { schema } from './spec';

const pending: { resolve: (o: ScanOutcome) => void; reject: (e: Error) => void }[] = [];
const logs: string[] = [];
let adapter: ScannerAdapter;
let url: string;

before(async () => {
  adapter = new ScannerAdapter({
    advisoriesPath: ADVISORIES_PATH,
    log: (l) => logs.push(l),
    scan: () => new Promise((resolve, reject) => pending.push({ resolve, reject })),
  });
  url = (await adapter.listen(0)).url;
});
after(() => adapter.close());

const submit = async (body: unknown) => {
  const r = await fetch(`${url}/api/v1/scan`, {
    method: 'POST',
    headers: { 'content-type': MIME.scanRequest, accept: MIME.scanResponse },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: r.status,
    type: r.headers.get('content-type'),
    json: (await r.json()) as Record<string, unknown>,
  };
};
const report = (id: string, accept: string = MIME.reportV11) =>
  fetch(`${url}/api/v1/scan/${id}/report`, { headers: { accept }, redirect: 'manual' });

test('metadata answers in the metadata mime type', async () => {
  const r = await fetch(`${url}/api/v1/metadata`, { headers: { accept: MIME.metadata } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), MIME.metadata);
  assert.deepEqual(await (await schema('ScannerAdapterMetadata'))(await r.json()), []);
});

test('scan: 202 with an id; report 302 + Refresh-After (no Location) while running, then 200 in the Accepted type', async () => {
  const s = await submit(harborRequest());
  assert.equal(s.status, 202);
  assert.equal(s.type, MIME.scanResponse);
  const id = String(s.json.id);
  assert.deepEqual(await (await schema('ScanResponse'))(s.json), []);
  const running = await report(id);
  assert.equal(running.status, 302);
  assert.equal(running.headers.get('refresh-after'), String(REFRESH_AFTER_S));
  assert.equal(running.headers.get('location'), null, "Harbor's Go client would follow a Location");
  pending.shift()!.resolve({
    findings: [
      {
        id: 'CVE-1',
        package: 'openssl',
        version: '3.1.0-r0',
        fix_version: '3.3.2-r1',
        severity: 'High',
        description: 'd',
        links: ['https://example.test/cve-1'],
        score: 7.5,
      },
    ],
    authMode: 'bearer-token',
    images: 1,
  });
  await adapter.jobs.drained();
  for (const mime of [MIME.reportV11, MIME.reportNative]) {
    const r = await report(id, mime);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), mime);
    const body = (await r.json()) as { vulnerabilities: { id: string }[]; severity: string };
    assert.deepEqual(await (await schema('HarborVulnerabilityReport'))(body), []);
    assert.deepEqual(
      body.vulnerabilities.map((v) => v.id),
      ['CVE-1'],
    );
    assert.equal(body.severity, 'High');
  }
  const line = logs.find((l) => l.includes(id));
  assert.match(
    line ?? '',
    /platform-dev\/app@sha256:a{64} succeeded: 1 vulnerabilities in 1 image\(s\), auth bearer-token/,
  );
  assert.doesNotMatch(logs.join('\n'), /cm9ib3Q6c2VjcmV0/, 'no credential in the log');
});

test('a failed scan is a 500 with the error message; unknown ids 404; unproduced Accept 422', async () => {
  const s = await submit(harborRequest());
  const id = String(s.json.id);
  pending.shift()!.reject(new Error('GET manifest platform-dev/app@sha256:…: 404 MANIFEST_UNKNOWN'));
  await adapter.jobs.drained();
  const r = await report(id);
  assert.equal(r.status, 500);
  assert.equal(r.headers.get('content-type'), MIME.error);
  assert.deepEqual(await r.json(), {
    error: { message: 'GET manifest platform-dev/app@sha256:…: 404 MANIFEST_UNKNOWN' },
  });
  assert.equal((await report('00000000-0000-0000-0000-000000000000')).status, 404);
  const bad = await report(id, 'application/vnd.security.sbom.report+json; version=1.0');
  assert.equal(bad.status, 422);
  assert.match(
    ((await bad.json()) as { error: { message: string } }).error.message,
    /use one of: application\/vnd\.security\.vulnerability\.report; version=1\.1/,
  );
});

test('bad scan requests: 400 for broken JSON, 422 naming the field; nothing is queued', async () => {
  const before = adapter.jobs.size;
  const broken = await submit('{');
  assert.equal(broken.status, 400);
  assert.equal(broken.type, MIME.error);
  const h = harborRequest();
  const noDigest = await submit({ ...h, artifact: { ...h.artifact, digest: undefined } });
  assert.equal(noDigest.status, 422);
  assert.deepEqual(noDigest.json, { error: { message: 'artifact.digest: is required' } });
  assert.equal(adapter.jobs.size, before);
  const wrong = await fetch(`${url}/api/v1/scan`);
  assert.equal(wrong.status, 405);
  await wrong.arrayBuffer();
});
