// The REST client against a scripted local HTTP server (no stack): which answers are retried where,
// X-Request-Id, Basic auth, no cookies, paging and double-encoded names on the wire.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  HarborApi,
  HarborConnection,
  HarborHttpError,
  HarborNetworkError,
} from '../../../src/harbor/index.js';

type Handler = (req: IncomingMessage) => {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
};
let handler: Handler;
const seen: IncomingMessage[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const a = handler(req);
    setTimeout(() => {
      res.writeHead(a.status, {
        'content-type': 'application/json',
        'set-cookie': 'sid=abc; Path=/',
        ...a.headers,
      });
      res.end(a.body ?? '');
    }, a.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  seen.length = 0;
});

const conn = (o: Partial<ConstructorParameters<typeof HarborConnection>[0]> = {}) =>
  new HarborConnection({
    baseUrl: url,
    username: 'robot$promoter',
    password: 'pw-123456',
    retryBaseDelayMs: 5,
    ...o,
  });
const ART = JSON.stringify({ digest: 'sha256:' + 'a'.repeat(64), tags: [{ name: '1.0' }] });

describe('HarborConnection', () => {
  it('retries a GET through 5xx and 429 to success', async () => {
    let n = 0;
    handler = () =>
      ++n === 1
        ? { status: 503 }
        : n === 2
          ? { status: 429, headers: { 'retry-after': '0' } }
          : { status: 200, body: ART };
    const a = await new HarborApi(conn()).getArtifact('p', 'team/app', '1.0');
    assert.equal(a.tags?.[0]?.name, '1.0');
    assert.equal(n, 3);
  });

  it('gives up on a GET after the retry budget with the last typed error', async () => {
    handler = () => ({
      status: 500,
      body: '{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}',
    });
    await assert.rejects(
      new HarborApi(conn({ retries: 2 })).getArtifact('p', 'r', 'x'),
      (e) => e instanceof HarborHttpError && e.status === 500,
    );
    assert.equal(seen.length, 3);
  });

  it('does not retry permanent answers', async () => {
    handler = () => ({ status: 403, body: '{"errors":[{"code":"FORBIDDEN","message":"forbidden"}]}' });
    await assert.rejects(
      new HarborApi(conn()).getArtifact('p', 'r', 'x'),
      (e) => e instanceof HarborHttpError && e.code === 'FORBIDDEN',
    );
    assert.equal(seen.length, 1);
  });

  it('never retries a POST itself (Temporal retries the activity)', async () => {
    handler = () => ({ status: 502 });
    await assert.rejects(
      new HarborApi(conn()).copyArtifact('stg', 'app', 'dev/app@sha256:1'),
      (e) => e instanceof HarborHttpError && e.status === 502,
    );
    assert.equal(seen.length, 1);
  });

  it('times out slow answers as a network error, then retries', async () => {
    let n = 0;
    handler = () => (++n === 1 ? { status: 200, body: ART, delayMs: 500 } : { status: 200, body: ART });
    const a = await new HarborApi(conn({ timeoutMs: 100 })).getArtifact('p', 'r', 'x');
    assert.ok(a.digest);
    assert.equal(n, 2);
    handler = () => ({ status: 200, body: ART, delayMs: 500 });
    await assert.rejects(
      new HarborApi(conn({ timeoutMs: 100, retries: 0 })).getArtifact('p', 'r', 'x'),
      (e) => e instanceof HarborNetworkError && e.timedOut,
    );
  });

  it('sends Basic auth and a request id, keeps the id in errors, sends no cookie back', async () => {
    handler = () => ({
      status: 404,
      body: '{"errors":[{"code":"NOT_FOUND","message":"artifact p/r:x not found"}]}',
    });
    const c = conn();
    await new HarborApi(c).getArtifact('p', 'r', 'x').catch(() => undefined);
    const err = await new HarborApi(c).getArtifact('p', 'r', 'x').catch((e: HarborHttpError) => e);
    const req = seen.at(-1)!;
    assert.equal(
      req.headers.authorization,
      'Basic ' + Buffer.from('robot$promoter:pw-123456').toString('base64'),
    );
    assert.equal(req.headers.cookie, undefined);
    assert.ok(req.headers['x-request-id']);
    assert.ok(err instanceof HarborHttpError);
    assert.equal(err.ctx.requestId, req.headers['x-request-id']);
    assert.ok(err.message.includes(String(req.headers['x-request-id'])));
    assert.ok(!err.message.includes('pw-123456'));
  });

  it('double-encodes repository names and pages through Link/X-Total-Count', async () => {
    handler = (req) => {
      const u = new URL(req.url!, url);
      const page = Number(u.searchParams.get('page'));
      const items =
        page === 1
          ? Array.from({ length: 100 }, (_, i) => ({ digest: `d${i}`, type: 'signature.cosign' }))
          : [{ digest: 'last', type: 'signature.cosign' }];
      const link =
        page === 1 ? '</x?page=2&page_size=100>; rel="next"' : '</x?page=1&page_size=100>; rel="prev"';
      return { status: 200, body: JSON.stringify(items), headers: { 'x-total-count': '101', link } };
    };
    const list = await new HarborApi(conn()).listAccessories('p', 'team/app', 'sha256:1', 'signature.cosign');
    assert.equal(list.length, 101);
    assert.equal(seen.length, 2);
    assert.ok(
      seen[0]!.url!.startsWith(
        '/api/v2.0/projects/p/repositories/team%252Fapp/artifacts/sha256:1/accessories?',
      ),
    );
    assert.match(seen[0]!.url!, /q=type%3Dsignature\.cosign/);
  });

  it('counts the bytes it receives', async () => {
    handler = () => ({ status: 200, body: ART });
    const c = conn();
    await new HarborApi(c).getArtifact('p', 'r', 'x');
    assert.equal(c.stats.bytesReceived, Buffer.byteLength(ART));
  });
});
