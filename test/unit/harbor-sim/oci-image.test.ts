// dev/oci-image: a valid OCI layout with correct digests; labels change the digest; payloads are streamed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildImage } from '../../../dev/oci-image/build';

const sha = (f: string) => `sha256:${createHash('sha256').update(readFileSync(f)).digest('hex')}`;

test('layout digests are content digests; different labels give different digests; payload size is honoured', async () => {
  const root = mkdtempSync(join(tmpdir(), 'oci-test-'));
  try {
    const a = await buildImage({
      out: join(root, 'a'),
      tag: 't',
      packages: [{ name: 'zlib', version: '1.3.0-r0' }],
      label: 'one',
      payloadBytes: 3 * 1024 * 1024 + 7,
    });
    const b = await buildImage({
      out: join(root, 'b'),
      tag: 't',
      packages: [{ name: 'zlib', version: '1.3.0-r0' }],
      label: 'two',
    });
    assert.notEqual(a.manifestDigest, b.manifestDigest);
    for (const d of [a.manifestDigest, a.configDigest, a.layerDigest])
      assert.equal(sha(join(a.dir, 'blobs', 'sha256', d.slice(7))), d);
    const index = JSON.parse(readFileSync(join(a.dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    assert.equal(index.manifests[0]?.digest, a.manifestDigest);
    assert.equal(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], 't');
    assert.ok(
      statSync(join(a.dir, 'blobs', 'sha256', a.layerDigest.slice(7))).size > 3 * 1024 * 1024,
      'random payload does not compress',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
