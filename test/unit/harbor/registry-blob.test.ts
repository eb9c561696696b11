// RegistryApi.getBlob: exact bytes (no UTF-8 round trip), and a redirect to a pre-signed URL (Harbor on
// object storage) followed without sending Harbor's credentials there.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HarborConnection } from '../../../src/harbor/client.js';
import { RegistryApi } from '../../../src/harbor/registry.js';

const BYTES = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]); // not valid UTF-8
const seen: { path: string; auth?: string }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  seen.push({ path: req.url ?? '', auth: req.headers.authorization });
  if (req.url === '/v2/p/r/blobs/sha256:direct') return res.end(BYTES);
  if (req.url === '/v2/p/r/blobs/sha256:moved') {
    res.writeHead(307, { location: '/storage/presigned?sig=x' });
    return res.end();
  }
  if (req.url === '/storage/presigned?sig=x') return res.end(BYTES);
  res.writeHead(404).end();
});
let conn: HarborConnection;

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  conn = new HarborConnection({
    baseUrl: `http://127.0.0.1:${port}`,
    username: 'u',
    password: 'p',
    retries: 0,
  });
});
after(async () => {
  await conn.close();
  server.close();
});

describe('RegistryApi.getBlob', () => {
  it('returns the exact bytes', async () => {
    assert.deepEqual(await new RegistryApi(conn).getBlob('p', 'r', 'sha256:direct'), BYTES);
  });

  it('follows a redirect to storage, without Harbor credentials', async () => {
    seen.length = 0;
    assert.deepEqual(await new RegistryApi(conn).getBlob('p', 'r', 'sha256:moved'), BYTES);
    assert.deepEqual(
      seen.map((s) => [s.path, !!s.auth]),
      [
        ['/v2/p/r/blobs/sha256:moved', true],
        ['/storage/presigned?sig=x', false],
      ],
    );
  });
});
