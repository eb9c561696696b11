// Bad input gets Harbor's status and envelope, and the sim keeps serving.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { api, call, pushTestImage, target, CLEAN, type Res, type Target } from './util';

let t: Target;
before(async () => {
  t = await target();
  await pushTestImage(t, 'platform-dev/app', 'v1', CLEAN);
});
after(async () => {
  await t?.stop();
});

const err = (r: Res): { code: string; message: string } =>
  (r.json as { errors: { code: string; message: string }[] }).errors[0]!;

async function alive(): Promise<void> {
  const r = await call(t, 'GET', '/api/v2.0/ping');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'Pong');
}

test('malformed names', async () => {
  const p = await api(t, 'POST', '/projects', { body: { project_name: 'Bad_Name!' } });
  assert.equal(p.status, 400);
  assert.deepEqual(err(p), {
    code: 'BAD_REQUEST',
    message: 'project name is not in lower case or contains illegal characters',
  });
  const tag = await api(t, 'POST', '/projects/platform-dev/repositories/app/artifacts/v1/tags', {
    body: { name: '-bad tag' },
  });
  assert.equal(tag.status, 400);
  assert.equal(err(tag).message, 'bad request: invalid tag name: -bad tag');
  const dup = await api(t, 'POST', '/projects', { body: { project_name: 'platform-dev' } });
  assert.equal(dup.status, 409);
  assert.equal(err(dup).message, 'The project named platform-dev already exists');
  const esc = await call(t, 'GET', '/api/v2.0/projects/%E0%A4%A/repositories');
  assert.equal(esc.status, 400);
  assert.equal(err(esc).code, 'BAD_REQUEST');
  const unknown = await call(t, 'GET', '/api/v2.0/nothing-here', { creds: t.admin });
  assert.equal(unknown.status, 404);
  assert.equal(err(unknown).code, 'NOT_FOUND');
  await alive();
});

test('bad from, missing from', async () => {
  for (const from of [
    'platform-dev',
    '127.0.0.1:8080/platform-dev/app:v1',
    'platform-dev/app:',
    'platform-dev/APP:v1',
    'platform-dev/app@sha256:123',
  ]) {
    const r = await api(
      t,
      'POST',
      `/projects/platform-staging/repositories/app/artifacts?from=${encodeURIComponent(from)}`,
    );
    assert.equal(r.status, 400, from);
    // The quota middleware looks the source up first: Harbor v2.15.2 answers this (real-harbor.md).
    assert.deepEqual(err(r), { code: 'BAD_REQUEST', message: `artifact ${from} not found` });
  }
  const missing = await api(t, 'POST', '/projects/platform-staging/repositories/app/artifacts');
  assert.equal(missing.status, 422);
  assert.equal(err(missing).code, 'UNPROCESSABLE_ENTITY');
  const noDst = await api(t, 'POST', '/projects/nowhere/repositories/app/artifacts?from=platform-dev/app:v1');
  assert.equal(noDst.status, 404);
  assert.equal(err(noDst).message, 'project nowhere not found');
  await alive();
});

test('page_size 101, non-numeric page, bad booleans and malformed q', async () => {
  const r = await api(t, 'GET', '/projects/platform-dev/repositories/app/artifacts?page_size=101');
  assert.equal(r.status, 422);
  assert.equal(
    err(r).message,
    'validation failure list:\npage_size in query should be less than or equal to 100',
  );
  assert.equal((await api(t, 'GET', '/projects?page=abc')).status, 422);
  assert.equal(
    (await api(t, 'GET', '/projects/platform-dev/repositories/app/artifacts/v1?with_tag=perhaps')).status,
    422,
  );
  const q = await api(t, 'GET', '/projects/platform-dev/repositories/app/artifacts?q=tags');
  assert.equal(q.status, 400);
  assert.equal(err(q).message, 'the query string must contain "=" and the key/value cannot be empty');
  await alive();
});

test('unknown metadata values and keys; malformed JSON; bad scan_type', async () => {
  assert.equal(
    err(
      await api(t, 'PUT', '/projects/platform-dev/metadatas/severity', { body: { severity: 'apocalyptic' } }),
    ).message,
    'invalid value: apocalyptic',
  );
  assert.equal(
    err(await api(t, 'POST', '/projects/platform-dev/metadatas/', { body: { colour: 'x' } })).message,
    'invalid key: colour',
  );
  const pub = await api(t, 'POST', '/projects', {
    body: { project_name: 'pubbad', metadata: { public: 'sometimes' } },
  });
  assert.equal(pub.status, 400);
  const bad = await api(t, 'PUT', '/projects/platform-dev', { body: '{"metadata": ' });
  assert.equal(bad.status, 400);
  assert.equal(err(bad).code, 'BAD_REQUEST');
  const st = await api(t, 'POST', '/projects/platform-dev/repositories/app/artifacts/v1/scan', {
    body: { scan_type: 'malware' },
  });
  assert.equal(st.status, 422);
  assert.equal(
    err(st).message,
    'validation failure list:\nscan_type in body should be one of [vulnerability sbom]',
  );
  await alive();
});

test('huge bodies get 413 without crashing the sim, declared or streamed', async () => {
  const big = 'x'.repeat(3 << 20);
  const r = await api(t, 'PUT', '/projects/platform-dev', { body: `{"metadata":{"auto_scan":"${big}"}}` });
  assert.equal(r.status, 413);
  assert.equal(err(r).code, 'REQUEST_ENTITY_TOO_LARGE');
  // chunked upload without Content-Length, larger than the manifest limit
  const status = await new Promise<number>((resolve, reject) => {
    const u = new URL(`${t.url}/v2/platform-dev/app/manifests/huge`);
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'PUT',
        headers: {
          authorization: `Basic ${Buffer.from(`${t.admin.username}:${t.admin.password}`).toString('base64')}`,
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (e) =>
      String(e).includes('EPIPE') || String(e).includes('ECONNRESET') ? resolve(413) : reject(e),
    );
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let n = 0;
    const write = (): void => {
      while (n < 6) {
        n++;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
  assert.equal(status, 413);
  await alive();
});
