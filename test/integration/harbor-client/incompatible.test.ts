// The REST client against a scripted local HTTP server (no stack): Harbor v2.15.2's null arrays are read as
// empty; an answer of another shape is a HarborIncompatibleError naming the endpoint, the field and Harbor's
// version (from /systeminfo, asked once per connection, `unknown` when it cannot be had); never retried.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HarborApi, HarborConnection, HarborIncompatibleError } from '../../../src/harbor/index.js';

type Answer = { status: number; body: string };
let artifact: Answer;
let systeminfo: Answer;
const seen: string[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push(path);
    const a = path.endsWith('/systeminfo') ? systeminfo : artifact;
    res.writeHead(a.status, { 'content-type': 'application/json', 'x-total-count': '0' });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  seen.length = 0;
  systeminfo = {
    status: 200,
    body: JSON.stringify({ harbor_version: 'v2.15.2-080b0220', auth_mode: 'db_auth' }),
  };
});

const conn = () =>
  new HarborConnection({
    baseUrl: url,
    username: 'robot$promoter',
    password: 'pw-123456',
    retryBaseDelayMs: 5,
  });
const DIGEST = 'sha256:' + 'a'.repeat(64);
const ENDPOINT = 'GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}';

describe('Harbor answers the client must read', () => {
  it('an artifact as Harbor v2.15.2 sends it (null arrays) reads with empty arrays', async () => {
    artifact = {
      status: 200,
      body: JSON.stringify({ digest: DIGEST, tags: null, accessories: null, references: null, labels: null }),
    };
    const a = await new HarborApi(conn()).getArtifact('p', 'team/app', 'sha256:1');
    assert.deepEqual([a.tags, a.accessories, a.references], [[], [], []]);
    artifact = { status: 200, body: 'null' };
    assert.deepEqual(await new HarborApi(conn()).listAccessories('p', 'r', DIGEST), [], 'a null list');
  });

  it('a field of another shape: HarborIncompatibleError, not retried, version asked once per connection', async () => {
    artifact = { status: 200, body: JSON.stringify({ digest: DIGEST, tags: 42 }) };
    const c = conn();
    const err = await new HarborApi(c).getArtifact('p', 'team/app', '1.0').catch((e: unknown) => e);
    assert.ok(err instanceof HarborIncompatibleError);
    assert.equal(err.endpoint, ENDPOINT);
    assert.equal(err.field, 'tags');
    assert.equal(err.harborVersion, 'v2.15.2-080b0220');
    assert.match(
      err.message,
      /^Harbor v2\.15\.2-080b0220 answered GET \/projects\/\{project_name\}.* field 'tags': expected array, received number/,
    );
    assert.equal(seen.filter((p) => p.endsWith('/artifacts/1.0')).length, 1, 'not retried');
    await new HarborApi(c).getArtifact('p', 'team/app', '1.0').catch(() => undefined);
    assert.equal(seen.filter((p) => p.endsWith('/systeminfo')).length, 1, 'version cached');
  });

  it('Harbor version unknown when /systeminfo fails; asked again next time', async () => {
    artifact = { status: 200, body: JSON.stringify({ digest: DIGEST, accessories: [{ type: 'x' }] }) };
    systeminfo = { status: 401, body: '{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}' };
    const c = conn();
    const err = await new HarborApi(c).getArtifact('p', 'r', '1.0').catch((e: unknown) => e);
    assert.ok(err instanceof HarborIncompatibleError);
    assert.equal(err.harborVersion, 'unknown');
    assert.equal(err.field, 'accessories[0].digest');
    systeminfo = { status: 200, body: JSON.stringify({ harbor_version: 'v2.16.0' }) };
    const again = await new HarborApi(c).getArtifact('p', 'r', '1.0').catch((e: unknown) => e);
    assert.equal((again as HarborIncompatibleError).harborVersion, 'v2.16.0');
  });

  it('a body that is not JSON (a login page in front of Harbor)', async () => {
    artifact = { status: 200, body: '<!DOCTYPE html><html><title>Sign in</title>' };
    const err = await new HarborApi(conn()).getArtifact('p', 'r', '1.0').catch((e: unknown) => e);
    assert.ok(err instanceof HarborIncompatibleError);
    assert.equal(err.field, '(body)');
    assert.match(err.message, /not JSON \(starts with "<!DOCTYPE html>.*is HARBOR_URL Harbor itself/);
  });
});
