// Real Harbor v2.15.2 with dev/scanner-adapter as its default scanner (the `--harbor real` stack): Harbor's
// own scan jobs (auto-scan on push and on copy) reach Success with the findings dev/scan-core computes, which
// harbor-sim reports too (test/integration/scanner-adapter/harbor-sim.test.ts). Runs under
// scripts/test-real-harbor.sh, whose stack registers the adapter as the default scanner; it fails if not.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import { testEnv } from '../support/env';
import { loadAdvisories, matchAdvisories } from '../../dev/harbor-sim/apk';
import { SCANNER } from '../../dev/scanner-adapter/api';
import { comparable } from '../integration/scanner-adapter/drive';
import { apkImage, indexOf, pushImage } from '../integration/scanner-adapter/images';

const e = testEnv();
const url = (e.HARBOR_URL ?? '').replace(/\/$/, '');
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const admin = basic(e.HARBOR_ADMIN_USERNAME ?? 'admin', e.HARBOR_ADMIN_PASSWORD ?? '');
const ci = basic(e.HARBOR_CI_USERNAME ?? '', e.HARBOR_CI_PASSWORD ?? '');
const V11 = 'application/vnd.security.vulnerability.report; version=1.1';
const run = randomBytes(3).toString('hex');

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${url}/api/v2.0${path}`, {
    method,
    headers: { authorization: admin, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

before(async () => {
  const r = await api('GET', '/scanners');
  assert.equal(r.status, 200, r.text);
  const def = (r.json as { is_default?: boolean; url: string }[]).find((s) => s.is_default);
  assert.ok(
    def,
    `Harbor at ${url} has no default scanner: the real-Harbor stack registers dev/scanner-adapter`,
  );
  const md = (await fetch(`${def.url}/api/v1/metadata`).then((x) => x.json())) as {
    scanner?: { name?: string };
  };
  assert.equal(
    md.scanner?.name,
    SCANNER.name,
    `the default scanner at ${def.url} is not dev/scanner-adapter`,
  );
});

const art = (project: string, repo: string, ref: string) =>
  `/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(repo))}/artifacts/${ref}`;

type Overview = {
  scan_status: string;
  severity?: string;
  summary?: { total: number; summary: Record<string, number> };
};
async function scanned(project: string, repo: string, digest: string, ms = 60_000): Promise<Overview> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await api('GET', `${art(project, repo, digest)}?with_scan_overview=true`);
    const ov = (r.json as { scan_overview?: Record<string, Overview> } | undefined)?.scan_overview?.[V11];
    if (ov && ['Success', 'Error', 'Stopped'].includes(ov.scan_status)) return ov;
    if (Date.now() > end)
      throw new Error(
        `${project}/${repo}@${digest}: no finished scan after ${ms} ms (${r.text.slice(0, 300)})`,
      );
    await new Promise((res) => setTimeout(res, 250));
  }
}
async function vulns(project: string, repo: string, digest: string) {
  const r = await api('GET', `${art(project, repo, digest)}/additions/vulnerabilities`, undefined, {
    'X-Accept-Vulnerabilities': V11,
  });
  assert.equal(r.status, 200, r.text);
  return (r.json as Record<string, { vulnerabilities: Parameters<typeof comparable>[0] }>)[V11]!
    .vulnerabilities;
}
/** What scan-core (and so harbor-sim) finds, as Harbor stores it: Negligible is None in Harbor. */
const expected = (pkgs: { name: string; version: string }[]) =>
  comparable(
    matchAdvisories(pkgs, loadAdvisories()).map((f) => ({
      ...f,
      severity: f.severity === 'Negligible' ? 'None' : f.severity,
      preferred_cvss: { score_v3: f.score },
    })),
  );

const TOP = [
  { name: 'openssl', version: '3.1.0-r0' },
  { name: 'zlib', version: '1.2.13-r0' },
  { name: 'musl', version: '1.2.4-r0' },
  { name: 'expat', version: '2.5.0-r0' },
];

test('push → Harbor auto-scans with the adapter; copy into prevent_vul staging is scanned and then blocked', async () => {
  const repo = `sa-real-${run}`;
  const img = apkImage([[{ name: 'busybox', version: '1.30.0-r0' }], TOP]);
  const t0 = Date.now();
  await pushImage(url, `platform-dev/${repo}`, 'v1', img, ci);
  const ov = await scanned('platform-dev', repo, img.digest);
  console.log(`# push → scan Success in real Harbor: ${Date.now() - t0} ms`);
  assert.equal(ov.scan_status, 'Success');
  assert.equal(ov.severity, 'Critical');
  assert.deepEqual(comparable(await vulns('platform-dev', repo, img.digest)), expected(TOP));
  // the copy's auto-scan pulls from platform-staging, where a plain Basic pull is refused (412)
  const c = await api(
    'POST',
    `/projects/platform-staging/repositories/${encodeURIComponent(encodeURIComponent(repo))}/artifacts?from=${encodeURIComponent(`platform-dev/${repo}@${img.digest}`)}`,
  );
  assert.equal(c.status, 201, c.text);
  const staged = await scanned('platform-staging', repo, img.digest);
  assert.equal(staged.scan_status, 'Success', 'the scanner pulled from a prevent_vul project');
  assert.deepEqual(comparable(await vulns('platform-staging', repo, img.digest)), expected(TOP));
  const pull = await fetch(`${url}/v2/platform-staging/${repo}/manifests/${img.digest}`, {
    headers: { authorization: admin, accept: img.mediaType },
  });
  assert.equal(pull.status, 412);
  assert.match(await pull.text(), /Prevent images with vulnerability severity of \\?"High\\?" or higher/);
});

test('an index: Harbor scans each child with the adapter', async () => {
  const repo = `sa-real-idx-${run}`;
  const armPkgs = [{ name: 'curl', version: '8.5.0-r0' }];
  const amd = apkImage([TOP], 'amd64');
  const arm = apkImage([armPkgs], 'arm64');
  for (const c of [amd, arm]) await pushImage(url, `platform-dev/${repo}`, c.digest, c, ci);
  const idx = indexOf([
    { image: amd, arch: 'amd64' },
    { image: arm, arch: 'arm64' },
  ]);
  await pushImage(url, `platform-dev/${repo}`, 'v1', idx, ci);
  const ov = await scanned('platform-dev', repo, idx.digest);
  assert.equal(ov.scan_status, 'Success');
  assert.equal(ov.summary?.total, matchAdvisories([...TOP, ...armPkgs], loadAdvisories()).length);
  assert.deepEqual(comparable(await vulns('platform-dev', repo, amd.digest)), expected(TOP));
  assert.deepEqual(comparable(await vulns('platform-dev', repo, arm.digest)), expected(armPkgs));
});
