// What doctor reads, against Harbor's swagger: the caller's permissions in a project scope (evaluated without
// performing anything) and the scanner registrations (admin only). Starts its own sim like the main contract test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadSpec, validateBody, type Spec } from './spec';
import { api, call, target, type Target } from '../integration/harbor-sim/util';

let spec: Spec;
let t: Target;
let devId: number;
let prodId: number;

before(async () => {
  spec = await loadSpec();
  t = await target();
  const id = async (p: string) =>
    ((await api(t, 'GET', `/projects/${p}`)).json as { project_id: number }).project_id;
  [devId, prodId] = [await id('platform-dev'), await id('platform-production')];
});
after(async () => {
  await call(t, 'PUT', '/_sim/faults', { creds: t.admin, body: { scanner: 'ok', rules: {} } }).catch(
    () => undefined,
  );
  await t?.stop();
});

const perms = (j: unknown) =>
  ((j ?? []) as { resource: string; action: string }[]).map((p) => `${p.resource}:${p.action}`);

describe('GET /users/current/permissions', () => {
  test('relative to a project: the robot sees what it may do there, the project itself as "."', async () => {
    const r = await api(t, 'GET', `/users/current/permissions?scope=/project/${prodId}&relative=true`, {
      creds: t.promoter,
    });
    assert.equal(r.status, 200);
    assert.equal(validateBody(spec, 'GET', '/users/current/permissions', 200, r.json), null);
    const p = perms(r.json);
    for (const x of [
      '.:read',
      'artifact:read',
      'artifact:create',
      'tag:create',
      'scan:create',
      'repository:pull',
    ])
      assert.ok(p.includes(x), `${x} in ${p.join(', ')}`);
    assert.ok(!p.includes('artifact:delete'), 'a promoter may not delete');
  });
  test('not relative: full resource paths', async () => {
    const r = await api(t, 'GET', `/users/current/permissions?scope=/project/${devId}`, {
      creds: t.promoter,
    });
    assert.ok(perms(r.json).includes(`/project/${devId}/repository:push`));
  });
  test('the CI robot may push to dev and cannot copy into production', async () => {
    const r = await api(t, 'GET', `/users/current/permissions?scope=/project/${prodId}&relative=true`, {
      creds: t.ci,
    });
    assert.ok(!perms(r.json).includes('artifact:create'));
  });
  test('anonymous: 401', async () => {
    const r = await api(t, 'GET', `/users/current/permissions?scope=/project/${devId}`, { creds: null });
    assert.equal(r.status, 401);
  });
});

describe('GET /scanners', () => {
  test('admin sees the default scanner; a robot gets 403; "unavailable" means none', async () => {
    const r = await api(t, 'GET', '/scanners');
    assert.equal(r.status, 200);
    assert.equal(validateBody(spec, 'GET', '/scanners', 200, r.json), null);
    assert.equal((r.json as { is_default: boolean }[])[0]?.is_default, true);
    assert.equal((await api(t, 'GET', '/scanners', { creds: t.promoter })).status, 403);
    await call(t, 'PUT', '/_sim/faults', { creds: t.admin, body: { scanner: 'unavailable', rules: {} } });
    assert.deepEqual((await api(t, 'GET', '/scanners')).json, []);
  });
});
