// The /_sim control API: fault injection per family, latency, 429s, counters (a server-side copy moves no
// image bytes through the client), admin-only access.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildImage } from '../../../dev/oci-image/build';
import { pushImage } from '../../../dev/oci-image/push';
import { api, call, pushTestImage, target, CLEAN, type Target } from './util';

let t: Target;
before(async () => {
  t = await target();
});
after(async () => {
  await t?.stop();
});

const ctl = (method: string, path: string, body?: unknown) =>
  call(t, method, `/_sim${path}`, { creds: t.admin, body });

test('control API is admin-only', async () => {
  assert.equal((await call(t, 'GET', '/_sim/faults', { creds: t.guest })).status, 401);
  assert.equal((await call(t, 'GET', '/_sim/faults')).status, 401);
  assert.equal((await ctl('PUT', '/faults', { rules: { api: { errorRate: 2 } } })).status, 400);
});

test('failNext, 429 with Retry-After, latency, and switching off at run time', async () => {
  await ctl('PUT', '/faults', { rules: { api: { failNext: 2, status: 503 } } });
  const a = await api(t, 'GET', '/projects/platform-dev');
  assert.equal(a.status, 503);
  assert.deepEqual(a.json, { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
  assert.equal((await api(t, 'GET', '/projects/platform-dev')).status, 503);
  assert.equal((await api(t, 'GET', '/projects/platform-dev')).status, 200);
  await ctl('PUT', '/faults', { rules: { copy: { errorRate: 1, status: 429 } } });
  const c = await api(t, 'POST', '/projects/platform-staging/repositories/x/artifacts?from=platform-dev/x:1');
  assert.equal(c.status, 429);
  assert.equal(c.headers.get('retry-after'), '1');
  assert.equal((c.json as { errors: { code: string }[] }).errors[0]?.code, 'TOO_MANY_REQUEST');
  assert.equal((await api(t, 'GET', '/projects/platform-dev')).status, 200, 'other families unaffected');
  await ctl('PUT', '/faults', { rules: { v2: { latencyMs: 300 } } });
  const t0 = Date.now();
  await call(t, 'GET', '/v2/', { creds: t.admin });
  assert.ok(Date.now() - t0 >= 290);
  await ctl('DELETE', '/faults');
  assert.deepEqual((await ctl('GET', '/faults')).json, { rules: {}, scanner: 'ok', artifactFields: {} });
});

test('methods and pathIncludes narrow a rule; other requests pass and use up no failNext', async () => {
  await ctl('PUT', '/faults', {
    rules: { v2: { failNext: 1, status: 503, methods: ['post'], pathIncludes: '/blobs/uploads/' } },
  });
  assert.equal((await call(t, 'GET', '/v2/', { creds: t.admin })).status, 200, 'GET passes');
  const other = await call(t, 'POST', '/v2/platform-dev/f/manifests/x', { creds: t.admin });
  assert.notEqual(other.status, 503, 'a POST elsewhere passes');
  assert.equal((await call(t, 'POST', '/v2/platform-dev/f/blobs/uploads/', { creds: t.admin })).status, 503);
  assert.equal(
    (await call(t, 'POST', '/v2/platform-dev/f/blobs/uploads/', { creds: t.admin })).status,
    202,
    'failNext used up by the matching request only',
  );
  await ctl('DELETE', '/faults');
});

test('byte counters: a server-side copy of a 2 MB image sends no image bytes to the client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsim-big-'));
  try {
    await buildImage({ out: dir, tag: 'big', packages: CLEAN, payloadBytes: 2 << 20, label: 'big' });
    await ctl('POST', '/counters/reset');
    await pushImage({
      layoutDir: dir,
      tag: 'big',
      dest: `${t.host}/platform-dev/big:big`,
      username: t.ci.username,
      password: t.ci.password,
    });
    const pushed = (await ctl('GET', '/counters')).json as Record<
      string,
      { bytesIn: number; bytesOut: number }
    >;
    assert.ok(pushed.v2!.bytesIn > 1.5 * (1 << 20), `push went through /v2 (${pushed.v2!.bytesIn} bytes in)`);
    await ctl('POST', '/counters/reset');
    assert.equal(
      (
        await api(
          t,
          'POST',
          '/projects/platform-staging/repositories/big/artifacts?from=platform-dev/big:big',
        )
      ).status,
      201,
    );
    const copied = (await ctl('GET', '/counters')).json as Record<
      string,
      { bytesIn: number; bytesOut: number; requests: number }
    >;
    assert.equal(copied.copy!.requests, 1);
    assert.ok(copied.copy!.bytesOut < 4096 && copied.copy!.bytesIn < 4096, JSON.stringify(copied.copy));
    assert.equal(copied.v2, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pushed image is visible in the api and deletable', async () => {
  await pushTestImage(t, 'platform-dev/del', 'v1', CLEAN);
  assert.equal((await api(t, 'DELETE', '/projects/platform-dev/repositories/del/artifacts/v1')).status, 200);
  assert.equal((await api(t, 'GET', '/projects/platform-dev/repositories/del/artifacts/v1')).status, 404);
});
