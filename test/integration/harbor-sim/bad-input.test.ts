// Bad input gets Harbor's status and envelope, and the sim keeps serving.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
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
  // Chunked upload without Content-Length, larger than the manifest limit. A raw socket, so that what
  // counts is a 413 status line the sim actually wrote: a reset or a closed connection is a failure.
  const res = await rawChunkedPut(`/v2/platform-dev/app/manifests/huge`, 6);
  assert.match(res.statusLine, /^HTTP\/1\.1 413 /, `status line (write error: ${res.writeError ?? 'none'})`);
  assert.equal(
    (JSON.parse(res.body) as { errors: { code: string }[] }).errors[0]?.code,
    'REQUEST_ENTITY_TOO_LARGE',
  );
  await alive();
});

/**
 * PUTs `mib` MiB as chunked transfer encoding over a raw socket and returns the response as read from the
 * wire. Write errors after the server answered are expected (it may stop reading) and only reported.
 */
async function rawChunkedPut(
  path: string,
  mib: number,
): Promise<{ statusLine: string; body: string; writeError?: string }> {
  const u = new URL(t.url);
  const auth = Buffer.from(`${t.admin.username}:${t.admin.password}`).toString('base64');
  const sock = connect(Number(u.port), u.hostname);
  await once(sock, 'connect');
  let received = Buffer.alloc(0);
  let writeError: string | undefined;
  const done = new Promise<void>((resolve) => {
    const complete = () => {
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return false;
      const m = /\r\ncontent-length: *(\d+)/i.exec(received.subarray(0, headEnd).toString('latin1'));
      return m !== null && received.length >= headEnd + 4 + Number(m[1]);
    };
    sock.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      if (complete()) resolve();
    });
    sock.on('error', (e) => {
      writeError = String(e);
      resolve();
    });
    sock.on('close', () => resolve());
  });
  sock.write(
    `PUT ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Basic ${auth}\r\n` +
      'Content-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  const chunk = Buffer.alloc(1 << 20, 0x20);
  for (let i = 0; i < mib && !sock.destroyed && received.length === 0; i++) {
    sock.write(`${chunk.length.toString(16)}\r\n`);
    sock.write(chunk);
    if (!sock.write('\r\n')) await Promise.race([once(sock, 'drain'), done]);
  }
  if (!sock.destroyed) sock.write('0\r\n\r\n');
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  sock.destroy();
  const text = received.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  return {
    statusLine: text.slice(0, text.indexOf('\r\n')),
    body: headEnd < 0 ? '' : text.slice(headEnd + 4),
    writeError,
  };
}
