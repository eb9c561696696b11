// Contract tests of harbor-sim against Harbor's own swagger, one test per item of harbor-api.md §10.
// Starts its own registry + sim (needs REGISTRY_BIN and SKOPEO_BIN, defaults in the per-user tool cache).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allRoutes } from '../../dev/harbor-sim/server';
import { answerProblems, loadSpec, findOperation, type ClientRead, type Spec } from './spec';
import { clientOperations } from '../support/client-operations';
import {
  V11,
  api,
  basic,
  call,
  enc2,
  pushFakeSignature,
  pushTestImage,
  target,
  VULNERABLE,
  CLEAN,
  type Res,
  type Target,
} from '../integration/harbor-sim/util';

let spec: Spec;
let clientOps: ClientRead[];
let t: Target;
let vulnDigest: string;
let cleanDigest: string;

type Json = Record<string, unknown>;

/**
 * Call the REST API and check the answer (spec.ts answerProblems): content type, a 2xx body against the
 * spec and the client's own schema, an error body exactly Harbor's envelope.
 */
async function checked(method: string, path: string, opts: Parameters<typeof api>[3] = {}): Promise<Res> {
  const r = await api(t, method, path, opts);
  assert.ok(r.headers.get('x-request-id'), `X-Request-Id on ${method} ${path}`);
  const problems = answerProblems(spec, clientOps, {
    method,
    path: `/${path.replace(/^\//, '').split('?')[0]}`,
    status: r.status,
    contentType: r.headers.get('content-type'),
    text: r.text,
  });
  assert.deepEqual(problems, []);
  return r;
}

const art = (p: string, repo: string, ref: string, q = ''): string =>
  `/projects/${p}/repositories/${enc2(repo)}/artifacts/${ref}${q}`;
const errOf = (r: Res): { code: string; message: string } =>
  (r.json as { errors: { code: string; message: string }[] }).errors[0] ?? { code: '', message: '' };
const overviewOf = (j: Json): Json | undefined =>
  (j.scan_overview as Record<string, Json> | undefined)?.[V11];

before(async () => {
  spec = await loadSpec();
  clientOps = (await clientOperations()).filter((o) => o.api === 'rest');
  t = await target();
  await call(t, 'PUT', '/_sim/scan-duration', { creds: t.admin, body: { ms: -1 } });
  vulnDigest = await pushTestImage(t, 'platform-dev/app', 'vuln', VULNERABLE);
  cleanDigest = await pushTestImage(t, 'platform-dev/app', 'clean', CLEAN);
  await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
});
after(async () => {
  await t?.stop();
});

describe('routes', () => {
  test('every route the sim serves exists in the spec with that method and its query parameters', () => {
    for (const r of allRoutes()) {
      const op = findOperation(spec, r.method, r.path);
      assert.ok(op, `${r.method} ${r.path} is not in the spec`);
      const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      for (const q of r.query ?? [])
        assert.ok(declared.has(q), `${r.method} ${r.path}: query ${q} not declared`);
    }
  });
});

describe('harbor-api.md §10', () => {
  test('1. error envelope, request ids, bad credentials are anonymous, 403 for missing projects, challenges only on /v2', async () => {
    const nf = await checked('GET', '/projects/platform-dev/repositories/nope', {});
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json, {
      errors: [{ code: 'NOT_FOUND', message: 'repository platform-dev/nope not found' }],
    });
    assert.ok(nf.text.endsWith('\n'));
    assert.equal(nf.headers.get('content-type'), 'application/json; charset=utf-8');
    const echoed = await api(t, 'GET', '/projects/platform-dev', { headers: { 'X-Request-Id': 'abc-123' } });
    assert.equal(echoed.headers.get('x-request-id'), 'abc-123');
    // wrong password on a robot → anonymous → 401 (private project), no WWW-Authenticate on /api
    const bad = await api(t, 'GET', '/projects/platform-dev', {
      creds: { username: 'robot$promoter', password: 'wrong' },
    });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] });
    assert.equal(bad.headers.get('www-authenticate'), null);
    // public project: anonymous read works even with a wrong password
    await checked('POST', '/projects', {
      body: { project_name: 'public-one', metadata: { public: 'true' } },
    });
    const pub = await api(t, 'GET', '/projects/public-one', {
      creds: { username: 'robot$nobody', password: 'x' },
    });
    assert.equal(pub.status, 200);
    // missing project: non-admin 403, admin 404
    const g = await api(t, 'GET', '/projects/does-not-exist', { creds: t.guest });
    assert.equal(g.status, 403);
    assert.deepEqual(errOf(g), { code: 'FORBIDDEN', message: 'forbidden' });
    const a = await checked('GET', '/projects/does-not-exist');
    assert.equal(a.status, 404);
    assert.equal(errOf(a).message, 'project does-not-exist not found');
    // authenticated without permission: 403
    const forb = await api(t, 'DELETE', art('platform-dev', 'app', 'vuln'), { creds: t.guest });
    assert.equal(forb.status, 403);
    // /v2: 401 with Bearer challenge when no Authorization, Basic when one was sent
    const v2 = await call(t, 'GET', '/v2/platform-dev/app/manifests/vuln');
    assert.equal(v2.status, 401);
    assert.equal(
      v2.headers.get('www-authenticate'),
      `Bearer realm="http://${t.host}/service/token",service="harbor-registry",scope="repository:platform-dev/app:pull"`,
    );
    assert.equal(v2.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const v2g = await call(t, 'PUT', '/v2/platform-dev/app/manifests/x', { creds: t.guest, body: '{}' });
    assert.equal(v2g.status, 401);
    assert.equal(v2g.headers.get('www-authenticate'), 'Basic realm="harbor"');
    // the Basic header, built as the client builds it, is what identifies the caller …
    const me = await call(t, 'GET', '/api/v2.0/users/current', {
      headers: { authorization: basic(t.guest) },
    });
    assert.equal(me.status, 200);
    assert.equal((me.json as Json).username, t.guest.username);
    // … and with a wrong secret the request runs as anonymous: 401, not the guest's answer
    const anon = await call(t, 'GET', '/api/v2.0/users/current', {
      headers: { authorization: basic({ username: t.promoter.username, password: 'wrong' }) },
    });
    assert.equal(anon.status, 401);
  });

  test('2. omitempty, zero times, empty 200/201 bodies with Location', async () => {
    const noTags = await checked('GET', art('platform-dev', 'app', 'vuln', '?with_tag=false'));
    const j = noTags.json as Json;
    // go-swagger omits empty scalars but not arrays: Harbor v2.15.2 sends nil slices as null (real-harbor.md)
    assert.equal(j.tags, null);
    assert.equal(j.accessories, null);
    assert.equal('scan_overview' in j, false);
    assert.equal(j.pull_time, '0001-01-01T00:00:00.000Z');
    assert.equal(j.repository_name, 'platform-dev/app');
    const created = await checked('POST', '/projects', { body: { project_name: 'omit-test' } });
    assert.equal(created.status, 201);
    assert.equal(created.text, '');
    assert.match(created.headers.get('location') ?? '', /^\/api\/v2\.0\/projects\/\d+$/);
    const put = await checked('PUT', '/projects/omit-test', {
      body: { metadata: { auto_scan: 'true' } },
      headers: { 'X-Is-Resource-Name': 'true' },
    });
    assert.equal(put.status, 200);
    assert.equal(put.text, '');
    const p = (await checked('GET', '/projects/omit-test')).json as Json;
    assert.equal(p.repo_count, 0); // x-omitempty:false
    assert.equal('current_user_role_ids' in p, true);
    const repo = (await checked('GET', `/projects/platform-dev/repositories/app`)).json as Json;
    assert.equal(typeof repo.pull_count, 'number');
  });

  test('3. repository names are double-encoded in paths; repository_name carries the project', async () => {
    const d = await pushTestImage(t, 'platform-dev/team/svc', 'v1', CLEAN);
    const once = await api(
      t,
      'GET',
      `/projects/platform-dev/repositories/${encodeURIComponent('team/svc')}/artifacts/v1`,
    );
    // harbor-api.md §0 says 404, but Harbor v2.15.2's router matches the escaped path and decodes each
    // parameter once, so a single-encoded name reads the same repository (issue 10)
    assert.equal(once.status, 200);
    const twice = await checked('GET', art('platform-dev', 'team/svc', 'v1'));
    assert.equal(twice.status, 200);
    assert.equal((twice.json as Json).repository_name, 'platform-dev/team/svc');
    assert.equal((twice.json as Json).digest, d);
    const links = (twice.json as Json).addition_links as Record<string, { href: string }>;
    assert.match(links.build_history!.href, /repositories\/team%252Fsvc\/artifacts\//);
    const repo = (await checked('GET', `/projects/platform-dev/repositories/${enc2('team/svc')}`))
      .json as Json;
    assert.equal(repo.name, 'platform-dev/team/svc');
  });

  test('4. metadata strings; absent reuse_sys_cve_allowlist uses the system list; create ignores cve_allowlist; only the metadata API validates', async () => {
    const c = await checked('POST', '/projects', {
      body: {
        project_name: 'meta-test',
        metadata: { auto_scan: 'yes-please', bogus: 'x' },
        cve_allowlist: { items: [{ cve_id: 'CVE-1' }] },
      },
    });
    assert.equal(c.status, 201);
    const p = (await checked('GET', '/projects/meta-test')).json as { metadata: Json; cve_allowlist: Json };
    assert.deepEqual(p.metadata, { auto_scan: 'yes-please', public: 'false' });
    assert.deepEqual(p.cve_allowlist.items, []); // as Harbor v2.15.2 sends it (real-harbor.md)
    const bad = await checked('PUT', '/projects/meta-test/metadatas/auto_scan', {
      body: { auto_scan: 'maybe' },
    });
    assert.equal(bad.status, 400);
    assert.equal(errOf(bad).message, 'invalid value: maybe');
    const two = await checked('POST', '/projects/meta-test/metadatas/', {
      body: { auto_scan: 'true', prevent_vul: 'true' },
    });
    assert.equal(errOf(two).message, 'only allow one key/value pair');
    const unk = await checked('POST', '/projects/meta-test/metadatas/', { body: { colour: 'blue' } });
    assert.equal(errOf(unk).message, 'invalid key: colour');
    assert.equal(
      (await checked('PUT', '/projects/meta-test/metadatas/auto_scan', { body: { auto_scan: 'T' } })).status,
      200,
    );
    assert.deepEqual((await checked('GET', '/projects/meta-test/metadatas/auto_scan')).json, {
      auto_scan: 'true',
    });
    // staging has no reuse_sys_cve_allowlist: the system list applies, the project list is ignored
    await pushTestImage(t, 'platform-dev/allow', 'v1', [{ name: 'openssl', version: '3.3.1-r5' }]); // only CVE-2024-9143 (High)
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    assert.equal(
      (
        await checked(
          'POST',
          `/projects/platform-staging/repositories/allow/artifacts?from=platform-dev/allow:v1`,
        )
      ).status,
      201,
    );
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    await checked('PUT', '/projects/platform-staging', {
      body: { cve_allowlist: { items: [{ cve_id: 'CVE-2024-9143' }] } },
    });
    assert.equal(
      (await call(t, 'HEAD', '/v2/platform-staging/allow/manifests/v1', { creds: t.admin })).status,
      412,
    );
    await checked('PUT', '/system/CVEAllowlist', { body: { items: [{ cve_id: 'CVE-2024-9143' }] } });
    assert.equal(
      (await call(t, 'HEAD', '/v2/platform-staging/allow/manifests/v1', { creds: t.admin })).status,
      200,
    );
    await checked('PUT', '/system/CVEAllowlist', { body: { items: [] } });
  });

  test('5. copy: synchronous 201, all tags, accessories on the first copy only, re-copy adds tags, accessory 403, missing 400, no pull policy, auto-scan after', async () => {
    const d = await pushTestImage(t, 'platform-dev/copyme', 'a', CLEAN);
    assert.equal(
      (await checked('POST', art('platform-dev', 'copyme', d, '/tags'), { body: { name: 'b' } })).status,
      201,
    );
    const sig = await pushFakeSignature(t, 'platform-dev/copyme', d, t.ci);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    const c = await checked(
      'POST',
      `/projects/platform-production/repositories/copyme/artifacts?from=platform-dev/copyme:a`,
    );
    assert.equal(c.status, 201);
    assert.equal(c.text, '');
    assert.equal(
      c.headers.get('location'),
      '/api/v2.0/projects/platform-production/repositories/copyme/artifacts/a',
    );
    const dst = (
      await checked(
        'GET',
        art('platform-production', 'copyme', d, '?with_accessory=true&with_scan_overview=true'),
      )
    ).json as Json;
    assert.deepEqual(((dst.tags as Json[]) ?? []).map((x) => x.name).sort(), ['a', 'b']);
    const accs = dst.accessories as Json[];
    assert.equal(accs.length, 1);
    assert.equal(accs[0]!.type, 'signature.cosign');
    assert.equal(accs[0]!.digest, sig);
    assert.equal(accs[0]!.subject_artifact_repo, 'platform-production/copyme');
    // the .sig tag travelled with it, and cosign policy passes in production
    assert.equal(
      (await checked('GET', art('platform-production', 'copyme', `sha256-${d.slice(7)}.sig`))).status,
      200,
    );
    // re-copy: 201, adds the new tag only, no new accessories
    await checked('POST', art('platform-dev', 'copyme', d, '/tags'), { body: { name: 'c' } });
    // a second, different signature in dev (re-signing moves the .sig tag; the first stays an accessory),
    // so "the re-copy carries no new accessory" below has something it could wrongly carry
    const sig2 = await pushFakeSignature(t, 'platform-dev/copyme', d, t.ci, 'second');
    assert.notEqual(sig2, sig);
    const devSigs = (await checked('GET', art('platform-dev', 'copyme', d, '/accessories'))).json as Json[];
    assert.deepEqual(devSigs.map((x) => x.digest).sort(), [sig, sig2].sort());
    const again = await checked(
      'POST',
      `/projects/platform-production/repositories/copyme/artifacts?from=platform-dev/copyme@${d}`,
    );
    assert.equal(again.status, 201);
    const dst2 = (await checked('GET', art('platform-production', 'copyme', d, '?with_accessory=true')))
      .json as Json;
    assert.deepEqual(((dst2.tags as Json[]) ?? []).map((x) => x.name).sort(), ['a', 'b', 'c']);
    assert.deepEqual(
      (dst2.accessories as Json[]).map((x) => x.digest),
      [sig],
    );
    // copying the accessory itself: 403 DENIED
    const acc = await checked(
      'POST',
      `/projects/platform-staging/repositories/copyme/artifacts?from=platform-dev/copyme@${sig}`,
    );
    assert.equal(acc.status, 403);
    assert.deepEqual(errOf(acc), {
      code: 'DENIED',
      message: "the operation isn't supported for an artifact accessory",
    });
    const missing = await checked(
      'POST',
      `/projects/platform-staging/repositories/copyme/artifacts?from=platform-dev/copyme:nope`,
    );
    assert.equal(missing.status, 400);
    assert.equal(errOf(missing).message, 'artifact platform-dev/copyme:nope not found');
    // pull policy not applied: the blocked vulnerable image in staging can still be copied onwards
    await checked('POST', `/projects/platform-staging/repositories/app/artifacts?from=platform-dev/app:vuln`);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    assert.equal(
      (await call(t, 'HEAD', '/v2/platform-staging/app/manifests/vuln', { creds: t.admin })).status,
      412,
    );
    const onward = await checked(
      'POST',
      `/projects/meta-test/repositories/app/artifacts?from=platform-staging/app:vuln`,
    );
    assert.equal(onward.status, 201);
  });

  test('6. scan reports are shared by digest; rescan resets everywhere; 409, 412, 400; keyed by mime; pending holds no summary', async () => {
    const d = await pushTestImage(t, 'platform-dev/scanme', 's1', VULNERABLE);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    await checked(
      'POST',
      `/projects/platform-staging/repositories/scanme/artifacts?from=platform-dev/scanme:s1`,
    );
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    const devOv = overviewOf(
      (await checked('GET', art('platform-dev', 'scanme', 's1', '?with_scan_overview=true'))).json as Json,
    )!;
    const stOv = overviewOf(
      (await checked('GET', art('platform-staging', 'scanme', 's1', '?with_scan_overview=true')))
        .json as Json,
    )!;
    assert.equal(devOv.report_id, stOv.report_id);
    assert.equal(devOv.scan_status, 'Success');
    assert.deepEqual((devOv.summary as Json).summary, { High: 1, Medium: 1 });
    assert.equal(devOv.severity, 'High');
    assert.equal((await checked('POST', art('platform-dev', 'scanme', 's1', '/scan'))).status, 202);
    const pending = overviewOf(
      (await checked('GET', art('platform-staging', 'scanme', d, '?with_scan_overview=true'))).json as Json,
    )!;
    assert.equal(pending.scan_status, 'Pending');
    assert.notEqual(pending.report_id, devOv.report_id);
    for (const k of ['summary', 'severity', 'duration', 'scanner']) assert.equal(k in pending, false, k);
    assert.equal(pending.start_time, '0001-01-01T00:00:00.000Z');
    const twice = await checked('POST', art('platform-staging', 'scanme', 's1', '/scan'));
    assert.equal(twice.status, 409);
    assert.equal(errOf(twice).code, 'CONFLICT');
    const native = await checked('GET', art('platform-dev', 'scanme', 's1', '?with_scan_overview=true'), {
      headers: {
        'X-Accept-Vulnerabilities': 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
      },
    });
    assert.deepEqual(Object.keys((native.json as Json).scan_overview as Json), [
      'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
    ]);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    const vulns = (await checked('GET', art('platform-dev', 'scanme', 's1', '/additions/vulnerabilities')))
      .json as Record<string, { vulnerabilities: Json[] }>;
    assert.deepEqual(vulns[V11]!.vulnerabilities.map((v) => v.severity).sort(), ['High', 'Medium']);
    const sig = await pushFakeSignature(t, 'platform-dev/scanme', d, t.ci);
    const accScan = await checked('POST', art('platform-dev', 'scanme', sig, '/scan'));
    assert.equal(accScan.status, 400);
    await call(t, 'PUT', '/_sim/faults', { creds: t.admin, body: { scanner: 'unavailable' } });
    try {
      const none = await checked('POST', art('platform-dev', 'scanme', 's1', '/scan'));
      assert.equal(none.status, 412);
      assert.equal(errOf(none).message, 'no available scanner for project: 1');
      const ov = (await checked('GET', art('platform-dev', 'scanme', 's1', '?with_scan_overview=true')))
        .json as Json;
      assert.equal('scan_overview' in ov, false);
    } finally {
      await call(t, 'DELETE', '/_sim/faults', { creds: t.admin });
    }
  });

  test('7. pull enforcement only on manifest GET/HEAD, 412 PROJECTPOLICYVIOLATION with the exact messages, cosign first', async () => {
    const POL = `configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.'`;
    // vulnerable image in staging: N counts all (High + Medium = 2)
    const get = await call(t, 'GET', '/v2/platform-staging/app/manifests/vuln', { creds: t.admin });
    assert.equal(get.status, 412);
    assert.deepEqual(errOf(get), {
      code: 'PROJECTPOLICYVIOLATION',
      message: `current image with 2 vulnerabilities cannot be pulled due to ${POL} To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`,
    });
    const head = await call(t, 'HEAD', '/v2/platform-staging/app/manifests/vuln', { creds: t.admin });
    assert.equal(head.status, 412);
    assert.equal(head.text, '');
    // blobs and the REST API are not blocked
    assert.equal((await checked('GET', art('platform-staging', 'app', 'vuln'))).status, 200);
    const m = JSON.parse(
      (
        await call(t, 'GET', `/v2/platform-dev/app/manifests/${vulnDigest}`, {
          creds: t.admin,
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).text,
    ) as { config: { digest: string } };
    assert.equal(
      (await call(t, 'GET', `/v2/platform-staging/app/blobs/${m.config.digest}`, { creds: t.admin })).status,
      200,
    );
    // clean image in production: cosign is checked first (unsigned), then it passes once signed (presence only)
    await checked(
      'POST',
      `/projects/platform-production/repositories/app/artifacts?from=platform-dev/app:clean`,
    );
    const unsigned = await call(t, 'GET', '/v2/platform-production/app/manifests/clean', { creds: t.admin });
    assert.deepEqual(errOf(unsigned), {
      code: 'PROJECTPOLICYVIOLATION',
      message: 'The image is not signed by cosign.',
    });
    await pushFakeSignature(t, 'platform-production/app', cleanDigest, t.admin);
    // the copy's auto-scan reset the shared report to Pending before the 201: a non-Success status blocks
    const pendingMsg = await call(t, 'GET', '/v2/platform-production/app/manifests/clean', {
      creds: t.admin,
    });
    assert.equal(
      errOf(pendingMsg).message,
      `current image with "Pending" status of vulnerability scanning cannot be pulled due to ${POL} To continue with pull, please contact your project administrator for help.`,
    );
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    assert.equal(
      (await call(t, 'GET', '/v2/platform-production/app/manifests/clean', { creds: t.admin })).status,
      200,
    );
    // rank comparison is >=: a Medium-only image passes "high", is blocked at "medium"; an expired allowlist is ignored
    await pushTestImage(t, 'platform-dev/med', 'v1', [{ name: 'busybox', version: '1.36.1-r10' }]);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    await checked('POST', `/projects/platform-staging/repositories/med/artifacts?from=platform-dev/med:v1`);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    assert.equal(
      (await call(t, 'HEAD', '/v2/platform-staging/med/manifests/v1', { creds: t.admin })).status,
      200,
    );
    await checked('PUT', '/projects/platform-staging/metadatas/severity', { body: { severity: 'medium' } });
    const one = await call(t, 'GET', '/v2/platform-staging/med/manifests/v1', { creds: t.admin });
    assert.match(errOf(one).message, /^current image with 1 vulnerability cannot be pulled .*"Medium"/);
    await checked('PUT', '/system/CVEAllowlist', {
      body: { items: [{ cve_id: 'CVE-2023-42363' }], expires_at: Math.floor(Date.now() / 1000) - 10 },
    });
    assert.equal(
      (await call(t, 'HEAD', '/v2/platform-staging/med/manifests/v1', { creds: t.admin })).status,
      412,
    );
    await checked('PUT', '/system/CVEAllowlist', { body: { items: [] } });
    await checked('PUT', '/projects/platform-staging/metadatas/severity', { body: { severity: 'high' } });
    // not scanned blocks only when a scanner could scan it
    await call(t, 'PUT', '/_sim/faults', { creds: t.admin, body: { scanner: 'unavailable' } });
    try {
      assert.equal(
        (await call(t, 'HEAD', '/v2/platform-staging/app/manifests/vuln', { creds: t.admin })).status,
        200,
      );
    } finally {
      await call(t, 'DELETE', '/_sim/faults', { creds: t.admin });
    }
  });

  test('8. pagination: X-Total-Count always, Link joined by " , ", 422 above page_size 100', async () => {
    for (const tag of ['p1', 'p2', 'p3'])
      await checked('POST', art('platform-dev', 'app', 'clean', '/tags'), { body: { name: tag } });
    const r = await checked('GET', art('platform-dev', 'app', 'clean', '/tags?page=2&page_size=1'));
    assert.equal(r.headers.get('x-total-count'), '4');
    assert.equal(
      r.headers.get('link'),
      `</api/v2.0/projects/platform-dev/repositories/app/artifacts/clean/tags?page=1&page_size=1>; rel="prev" , </api/v2.0/projects/platform-dev/repositories/app/artifacts/clean/tags?page=3&page_size=1>; rel="next"`,
    );
    const empty = await checked('GET', '/projects/platform-dev/repositories/none/artifacts');
    assert.equal(empty.headers.get('x-total-count'), '0');
    assert.deepEqual(empty.json, []);
    const big = await checked('GET', '/projects?page_size=101');
    assert.equal(big.status, 422);
    assert.deepEqual(big.json, {
      errors: [
        {
          code: 'UNPROCESSABLE_ENTITY',
          message: 'validation failure list:\npage_size in query should be less than or equal to 100',
        },
      ],
    });
  });

  test('9. scan status strings are from the jobservice set', async () => {
    const d = await pushTestImage(t, 'platform-dev/status', 'v1', CLEAN);
    const seen = new Set<string>();
    const look = async (): Promise<void> => {
      const ov = overviewOf(
        (await checked('GET', art('platform-dev', 'status', d, '?with_scan_overview=true'))).json as Json,
      );
      if (ov) seen.add(String(ov.scan_status));
    };
    await call(t, 'POST', '/_sim/scans/step', { creds: t.admin });
    await look();
    await call(t, 'POST', '/_sim/scans/step', { creds: t.admin });
    await look();
    assert.equal(
      (
        await checked('POST', art('platform-dev', 'status', d, '/scan/stop'), {
          body: { scan_type: 'vulnerability' },
        })
      ).status,
      202,
    );
    await look();
    const noJob = await checked('POST', art('platform-dev', 'status', d, '/scan/stop'), {
      body: { scan_type: 'vulnerability' },
    });
    assert.equal(errOf(noJob).message, `no scan job for artifact digest=${d}`);
    await checked('POST', art('platform-dev', 'status', d, '/scan'));
    await call(t, 'PUT', '/_sim/faults', { creds: t.admin, body: { scanner: 'fail' } });
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    await call(t, 'DELETE', '/_sim/faults', { creds: t.admin });
    await look();
    assert.deepEqual([...seen].sort(), ['Error', 'Pending', 'Running', 'Stopped']);
    for (const s of seen)
      assert.ok(['Pending', 'Scheduled', 'Running', 'Success', 'Error', 'Stopped'].includes(s));
  });

  test('10. timing: the auto-scan of a copy is Pending when the 201 arrives; scan returns 202 before the job runs; scans can be stepped', async () => {
    const d = await pushTestImage(t, 'platform-dev/timing', 'v1', CLEAN);
    await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
    const before = overviewOf(
      (await checked('GET', art('platform-dev', 'timing', d, '?with_scan_overview=true'))).json as Json,
    )!;
    assert.equal(before.scan_status, 'Success');
    await checked(
      'POST',
      `/projects/platform-staging/repositories/timing/artifacts?from=platform-dev/timing:v1`,
    );
    // Harbor v2.15.2: straight after the 201 the auto-scan's new report is Pending, for both projects
    // (reports are per digest); no window shows dev's old report or "not scanned" (real-harbor.md, issue 10).
    const later = overviewOf(
      (await checked('GET', art('platform-dev', 'timing', d, '?with_scan_overview=true'))).json as Json,
    )!;
    assert.equal(later.scan_status, 'Pending');
    assert.notEqual(later.report_id, before.report_id);
    await call(t, 'POST', '/_sim/scans/step', { creds: t.admin });
    const running = overviewOf(
      (await checked('GET', art('platform-staging', 'timing', d, '?with_scan_overview=true'))).json as Json,
    )!;
    assert.equal(running.scan_status, 'Running');
    assert.notEqual(running.start_time, '0001-01-01T00:00:00.000Z');
    await call(t, 'POST', '/_sim/scans/step', { creds: t.admin });
    const done = overviewOf(
      (await checked('GET', art('platform-staging', 'timing', d, '?with_scan_overview=true'))).json as Json,
    )!;
    assert.equal(done.scan_status, 'Success');
  });
});
