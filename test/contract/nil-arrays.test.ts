// harbor-sim answers like Harbor v2.15.2 where the two were measured to differ (real-harbor.md, issue 10):
// null arrays, `cve_allowlist.items: []`, the robot permission table, system-robot listing, X-Total-Count on
// referrers, a malformed copy `from`, the auto-scan of a copy Pending with the 201, single-encoded nested
// names, DELETE of projects and robots, Negligible stored as None. The client's own schemas must read every
// answer. Starts its own registry + sim (like harbor-sim.contract.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ArtifactSchema, ProjectSchema } from '../../src/harbor/schemas';
import {
  V11,
  api,
  call,
  completeScans,
  enc2,
  pushFakeSignature,
  pushTestImage,
  target,
  CLEAN,
  type Target,
} from '../integration/harbor-sim/util';

type Json = Record<string, unknown>;
let t: Target;
let digest: string;

const art = (p: string, repo: string, ref: string, q = ''): string =>
  `/projects/${p}/repositories/${enc2(repo)}/artifacts/${ref}${q}`;
const errOf = (j: unknown): { code: string; message: string } =>
  (j as { errors: { code: string; message: string }[] }).errors[0]!;

before(async () => {
  t = await target();
  await call(t, 'PUT', '/_sim/scan-duration', { creds: t.admin, body: { ms: -1 } });
  digest = await pushTestImage(t, 'platform-dev/team/nil', 'v1', CLEAN);
  await completeScans(t);
});
after(async () => {
  await t?.stop();
});

describe('Harbor v2.15.2 parity', () => {
  test('arrays that are empty or not asked for are null, and the client reads them as []', async () => {
    const r = await api(t, 'GET', art('platform-dev', 'team/nil', digest, '?with_tag=false'));
    assert.equal(r.status, 200);
    const j = r.json as Json;
    for (const k of ['tags', 'accessories', 'references', 'labels'])
      assert.equal(j[k], null, `${k} is null, as Harbor sends a nil slice`);
    const a = ArtifactSchema.parse(j);
    assert.deepEqual([a.tags, a.accessories, a.references], [[], [], []]);
    const withTag = ArtifactSchema.parse(
      (await api(t, 'GET', art('platform-dev', 'team/nil', 'v1', '?with_accessory=true'))).json,
    );
    assert.deepEqual(
      withTag.tags.map((x) => x.name),
      ['v1'],
    );
    assert.deepEqual(withTag.accessories, []);
    const list = (await api(t, 'GET', `/projects/platform-dev/repositories/${enc2('team/nil')}/artifacts`))
      .json as Json[];
    assert.equal(list[0]?.accessories, null);
    assert.equal(list[0]?.references, null);
  });

  test('a project without allowlist entries carries cve_allowlist.items: []', async () => {
    await api(t, 'POST', '/projects', { body: { project_name: 'nil-allow' } });
    const p = (await api(t, 'GET', '/projects/nil-allow')).json as { cve_allowlist: Json };
    assert.deepEqual(p.cve_allowlist.items, []);
    assert.deepEqual(ProjectSchema.parse(p).cve_allowlist?.items, []);
  });

  test("POST /robots checks every permission against Harbor's table", async () => {
    let robots = 0;
    const robot = (kind: string, resource: string, action: string) =>
      api(t, 'POST', '/robots', {
        body: {
          name: `perm-${++robots}`,
          level: 'system',
          duration: -1,
          permissions: [{ kind, namespace: kind === 'system' ? '/' : '*', access: [{ resource, action }] }],
        },
      });
    for (const [kind, resource, action] of [
      ['project', 'artifact', 'fly'],
      ['project', 'scan-all', 'create'], // a system permission asked at project level
      ['system', 'repository', 'pull'], // a project permission asked at system level
      ['project', '*', '*'], // no wildcards
    ] as const) {
      const r = await robot(kind, resource, action);
      assert.equal(r.status, 400, `${kind} ${resource}:${action}`);
      assert.deepEqual(errOf(r.json), {
        code: 'BAD_REQUEST',
        message: `bad request permission: ${resource}:${action}`,
      });
    }
    const level = await robot('global', 'artifact', 'read');
    assert.equal(errOf(level.json).message, 'bad request permission level: global');
    assert.equal((await robot('project', 'artifact-addition', 'read')).status, 201);
    assert.equal((await robot('system', 'scan-all', 'create')).status, 201);
  });

  test('GET /robots lists system robots only, with creator_type and creator_ref', async () => {
    const r = await api(t, 'GET', '/robots?page_size=100');
    const robots = r.json as Json[];
    assert.ok(robots.some((x) => x.name === 'robot$promoter'));
    assert.ok(
      robots.every((x) => x.level === 'system'),
      'the project robot robot$platform-dev+ci is not listed',
    );
    for (const x of robots) {
      assert.equal(x.creator_type, 'local', `${String(x.name)}: created by a user`);
      assert.equal(typeof x.creator_ref, 'number');
    }
    const dev = (await api(t, 'GET', '/projects/platform-dev')).json as { project_id: number };
    const project = (
      await api(t, 'GET', `/robots?q=${encodeURIComponent(`Level=project,ProjectID=${dev.project_id}`)}`)
    ).json as Json[];
    assert.deepEqual(
      project.map((x) => x.name),
      ['robot$platform-dev+ci'],
    );
  });

  test('referrers send X-Total-Count', async () => {
    await pushFakeSignature(t, 'platform-dev/team/nil', digest, t.ci);
    const r = await call(t, 'GET', `/v2/platform-dev/team/nil/referrers/${digest}`, { creds: t.admin });
    assert.equal(r.status, 200);
    const n = (r.json as { manifests: unknown[] }).manifests.length;
    assert.ok(n >= 1);
    assert.equal(r.headers.get('x-total-count'), String(n));
  });

  test('a copy whose from is not a reference: 400 artifact <from> not found', async () => {
    for (const from of ['platform-dev', 'platform-dev/team/nil:', 'PLATFORM-dev/x:v1']) {
      const r = await api(
        t,
        'POST',
        `/projects/platform-staging/repositories/nil/artifacts?from=${encodeURIComponent(from)}`,
      );
      assert.equal(r.status, 400, from);
      assert.deepEqual(errOf(r.json), { code: 'BAD_REQUEST', message: `artifact ${from} not found` });
    }
  });

  test('the auto-scan of a copy is Pending when the 201 arrives: no window without a scan', async () => {
    const d = await pushTestImage(t, 'platform-dev/team/copyscan', 'v1', CLEAN);
    await completeScans(t);
    const copy = await api(
      t,
      'POST',
      `/projects/platform-staging/repositories/${enc2('team/copyscan')}/artifacts?from=platform-dev/team/copyscan@${d}`,
    );
    assert.equal(copy.status, 201);
    const ov = (
      (await api(t, 'GET', art('platform-staging', 'team/copyscan', d, '?with_scan_overview=true'))).json as {
        scan_overview: Record<string, Json>;
      }
    ).scan_overview[V11];
    assert.equal(ov?.scan_status, 'Pending');
    // staging has prevent_vul: a pull now is blocked for the running scan, not for "never scanned"
    const pull = await call(t, 'GET', `/v2/platform-staging/team/copyscan/manifests/${d}`, {
      creds: t.admin,
    });
    assert.equal(pull.status, 412);
    assert.match(errOf(pull.json).message, /^current image with "Pending" status of vulnerability scanning/);
  });

  test('nested repository names: double- and single-encoded both work, unencoded is a 404', async () => {
    const path = (repo: string) => `/projects/platform-dev/repositories/${repo}/artifacts/v1`;
    const double = await api(t, 'GET', path(enc2('team/nil')));
    const single = await api(t, 'GET', path(encodeURIComponent('team/nil')));
    assert.equal(double.status, 200);
    assert.equal(single.status, 200);
    assert.equal((single.json as Json).digest, digest);
    assert.equal((await api(t, 'GET', path('team/nil'))).status, 404);
  });

  test('DELETE a project (only when empty) and a robot', async () => {
    const full = await api(t, 'DELETE', '/projects/platform-dev');
    assert.equal(full.status, 412);
    assert.deepEqual(errOf(full.json), {
      code: 'PRECONDITION',
      message: 'the project contains repositories, can not be deleted',
    });
    await api(t, 'POST', '/projects', { body: { project_name: 'to-delete' } });
    const robot = await api(t, 'POST', '/robots', {
      body: {
        name: 'gone',
        level: 'project',
        duration: -1,
        permissions: [
          { kind: 'project', namespace: 'to-delete', access: [{ resource: 'repository', action: 'pull' }] },
        ],
      },
    });
    assert.equal(robot.status, 201);
    const guest = await api(t, 'DELETE', '/projects/to-delete', { creds: t.guest });
    assert.equal(guest.status, 403);
    assert.equal((await api(t, 'DELETE', '/projects/to-delete')).status, 200);
    assert.equal((await api(t, 'GET', '/projects/to-delete')).status, 404);
    const sys = await api(t, 'POST', '/robots', {
      body: {
        name: 'gone-too',
        level: 'system',
        duration: -1,
        permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'project', action: 'list' }] }],
      },
    });
    const id = (sys.json as { id: number }).id;
    assert.equal((await api(t, 'DELETE', `/robots/${id}`, { creds: t.promoter })).status, 403);
    assert.equal((await api(t, 'DELETE', `/robots/${id}`)).status, 200);
    const again = await api(t, 'DELETE', `/robots/${id}`);
    assert.equal(again.status, 404);
    assert.equal(errOf(again.json).message, `robot ${id} not found`);
  });

  test('a Negligible finding is stored, counted and shown as None', async () => {
    const d = await pushTestImage(t, 'platform-dev/negligible', 'v1', [
      ...CLEAN,
      { name: 'expat', version: '2.6.0-r0' }, // advisories.json: Negligible below 2.6.2-r0
    ]);
    await api(t, 'POST', art('platform-dev', 'negligible', d, '/scan'));
    await completeScans(t);
    const a = (await api(t, 'GET', art('platform-dev', 'negligible', d, '?with_scan_overview=true')))
      .json as {
      scan_overview: Record<string, { severity: string; summary: { summary: Record<string, number> } }>;
    };
    const ov = a.scan_overview[V11]!;
    assert.deepEqual(ov.summary.summary, { None: 1 });
    assert.equal(ov.severity, 'None');
    const vulns = (await api(t, 'GET', art('platform-dev', 'negligible', d, '/additions/vulnerabilities')))
      .json as Record<string, { vulnerabilities: { severity: string }[] }>;
    assert.deepEqual(
      vulns[V11]!.vulnerabilities.map((v) => v.severity),
      ['None'],
    );
  });
});
