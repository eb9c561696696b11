// Registry auth as real Harbor needs it (fake Harbor, in-process): the Basic robot credential Harbor sends
// is refused (412) for a manifest in a prevent_vul project; the adapter follows the /v2/ Bearer challenge,
// gets a token (with scanner-pull) and scans. Also: Basic fallback, realm fallback, bad credential.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADVISORIES_PATH, loadAdvisories, matchAdvisories } from '../../../dev/harbor-sim/apk';
import { parseScanRequest } from '../../../dev/scanner-adapter/api';
import { scanArtifact } from '../../../dev/scanner-adapter/scan';
import { ScannerAdapter } from '../../../dev/scanner-adapter/server';
import { adapterScan, comparable } from './drive';
import { FakeHarbor, type FakeHarborOptions } from './fake-harbor';
import { apkImage } from './images';

const robot = { name: 'robot$platform-staging+scanner-Trivy-1a2b', secret: 'S3cretScanner99' };
const REPO = 'platform-staging/app';
// the base layer's packages are replaced by the top layer's: only the top layer's findings count
const img = apkImage([
  [{ name: 'busybox', version: '1.30.0-r0' }],
  [
    { name: 'openssl', version: '3.1.0-r0' },
    { name: 'busybox', version: '1.36.1-r20' },
  ],
]);
const expected = matchAdvisories([{ name: 'openssl', version: '3.1.0-r0' }], loadAdvisories());

const fakes: FakeHarbor[] = [];
async function fake(o: Partial<FakeHarborOptions>): Promise<FakeHarbor> {
  const f = await new FakeHarbor({
    robot,
    challenge: 'bearer',
    scannerPull: true,
    preventVul: true,
    redirectBlobs: true,
    ...o,
  }).start();
  f.add(REPO, img);
  fakes.push(f);
  return f;
}
after(async () => {
  for (const f of fakes) await f.stop();
});

const logs: string[] = [];
let adapter: ScannerAdapter;
let adapterUrl: string;
before(async () => {
  adapter = new ScannerAdapter({ advisoriesPath: ADVISORIES_PATH, log: (l) => logs.push(l) });
  adapterUrl = (await adapter.listen(0)).url;
});
after(() => adapter.close());

function request(f: FakeHarbor, authorization = f.basic) {
  const r = parseScanRequest(
    JSON.stringify({
      registry: { url: f.url, authorization },
      artifact: { repository: REPO, digest: img.digest },
    }),
  );
  assert.ok(r.ok);
  return r.value;
}

test('prevent_vul project: Basic is refused, the adapter pulls with a token from the challenge realm', async () => {
  const f = await fake({});
  // what a plain pull with Harbor's credential gets
  const plain = await fetch(`${f.url}/v2/${REPO}/manifests/${img.digest}`, {
    headers: { authorization: f.basic },
  });
  assert.equal(plain.status, 412);
  await plain.arrayBuffer();
  const seenBefore = f.seen.length;
  const t0 = Date.now();
  const r = await adapterScan(adapterUrl, {
    registryUrl: f.url,
    authorization: f.basic,
    repository: REPO,
    digest: img.digest,
  });
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.ok(r.ok);
  assert.deepEqual(
    comparable(r.report.vulnerabilities),
    comparable(expected.map((e) => ({ ...e, preferred_cvss: { score_v3: e.score } }))),
  );
  assert.equal(r.report.severity, 'High');
  // the token request: the robot's Basic credential, Harbor's service, pull scope on the repository
  assert.equal(f.tokenRequests.length, 1);
  assert.equal(f.tokenRequests[0]!.get('service'), 'harbor-registry');
  assert.equal(f.tokenRequests[0]!.get('scope'), `repository:${REPO}:pull`);
  const reg = f.seen
    .slice(seenBefore)
    .filter((s) => s.origin === 'registry' && s.path.startsWith(`/v2/${REPO}`));
  assert.ok(
    reg.length >= 3 && reg.every((s) => s.auth.startsWith('Bearer ')),
    'manifest and blobs pulled with the token',
  );
  const storage = f.seen.filter((s) => s.origin === 'storage');
  assert.equal(storage.length, 2, 'config is not read; both layers are, via the storage redirect');
  assert.ok(
    storage.every((s) => s.auth === ''),
    'the credential is not sent to blob storage',
  );
  const line = logs.find((l) => l.includes(img.digest));
  assert.match(line ?? '', /succeeded: \d+ vulnerabilities in 1 image\(s\), auth bearer-token/);
  assert.doesNotMatch(logs.join('\n'), new RegExp(`${robot.secret}|${f.basic.slice(6)}`));
  console.log(`# scan through the fake Harbor: ${Date.now() - t0} ms`);
});

test('a registry with a Basic challenge gets the credential as it is', async () => {
  const f = await fake({ challenge: 'basic', preventVul: false, redirectBlobs: false });
  const out = await scanArtifact(request(f), f.basic, loadAdvisories());
  assert.equal(out.authMode, 'basic');
  assert.equal(f.tokenRequests.length, 0);
  assert.equal(out.findings.length, expected.length);
});

test('Basic only and prevent_vul: the scan fails naming the 412 and why', async () => {
  const f = await fake({ challenge: 'basic' });
  await assert.rejects(scanArtifact(request(f), f.basic, loadAdvisories()), (e: Error) => {
    assert.match(
      e.message,
      /GET manifest platform-staging\/app@sha256:[0-9a-f]{64}: 412 PROJECTPOLICYVIOLATION: current image/,
    );
    assert.match(e.message, /Harbor refused the pull by project policy/);
    return true;
  });
});

test("an unreachable realm (Harbor's external URL) falls back to <registry>/service/token", async () => {
  const f = await fake({ realm: 'http://127.0.0.1:9/service/token' });
  const out = await scanArtifact(request(f), f.basic, loadAdvisories());
  assert.equal(out.authMode, 'bearer-token');
  assert.equal(f.tokenRequests.length, 1);
});

test('a wrong secret fails the scan at the token service, without the secret in the message', async () => {
  const f = await fake({});
  const wrong = `Basic ${Buffer.from(`${robot.name}:nope`).toString('base64')}`;
  const r = await adapterScan(adapterUrl, {
    registryUrl: f.url,
    authorization: wrong,
    repository: REPO,
    digest: img.digest,
  });
  assert.equal(r.status, 500);
  assert.ok(!r.ok);
  assert.match(
    r.error,
    /token service http:\/\/127\.0\.0\.1:\d+\/service\/token answered 401 for scope repository:platform-staging\/app:pull/,
  );
  assert.match(r.error, /is the credential in registry\.authorization valid/);
  assert.doesNotMatch(r.error, new RegExp(wrong.slice(6)));
});

test('a Bearer authorization from Harbor is used as it is', async () => {
  const f = await fake({});
  const tok = await fetch(`${f.url}/service/token?service=harbor-registry&scope=repository:${REPO}:pull`, {
    headers: { authorization: f.basic },
  });
  const { token } = (await tok.json()) as { token: string };
  const before = f.tokenRequests.length;
  const out = await scanArtifact(request(f, `Bearer ${token}`), `Bearer ${token}`, loadAdvisories());
  assert.equal(out.authMode, 'bearer-given');
  assert.equal(f.tokenRequests.length, before, 'no token of its own');
  assert.equal(out.findings.length, expected.length);
});

test('a blob whose bytes do not match its digest fails the scan', async () => {
  const f = await fake({ redirectBlobs: false });
  // the top layer's digest serves the base layer's (valid) bytes: only the digest check can notice
  const layers = [...img.blobs].filter(([, b]) => b[0] === 0x1f);
  const digest = layers[1]![0];
  f.blobs.set(digest, layers[0]![1]);
  await assert.rejects(
    scanArtifact(request(f), f.basic, loadAdvisories()),
    new RegExp(`blob ${digest}: content hashes to sha256:[0-9a-f]{64}`),
  );
});
