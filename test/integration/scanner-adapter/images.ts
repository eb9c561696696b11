// Small OCI images held in memory for the scanner adapter tests: layers with an apk database (a later layer
// may replace an earlier one's), pushed through Harbor's /v2 or served by a fake Harbor.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { apkInstalled, type ApkPkg } from '../../../dev/oci-image/build';
import { ustar } from '../../support/tar';

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface MemImage {
  digest: string;
  manifest: Buffer;
  mediaType: string;
  /** config and layers by digest */
  blobs: Map<string, Buffer>;
}

/**
 * An image whose layers each write `lib/apk/db/installed` with the given packages, in order (the last one
 * is what is installed), plus a unique file so every image has its own digest.
 */
export function apkImage(layers: ApkPkg[][], arch = 'amd64'): MemImage {
  const blobs = new Map<string, Buffer>();
  const descs = [];
  const diffIds = [];
  for (const pkgs of layers) {
    const raw = ustar([
      ['lib/apk/db/installed', Buffer.from(apkInstalled(pkgs))],
      ['etc/nonce', Buffer.from(randomBytes(16).toString('hex'))],
    ]);
    const gz = gzipSync(raw);
    blobs.set(sha256(gz), gz);
    diffIds.push(sha256(raw));
    descs.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: sha256(gz),
      size: gz.length,
    });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: diffIds },
      config: {},
    }),
  );
  blobs.set(sha256(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: descs,
    }),
  );
  return { digest: sha256(manifest), manifest, mediaType: OCI_MANIFEST, blobs };
}

export function indexOf(children: { image: MemImage; arch: string }[]): MemImage {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c) => ({
        mediaType: c.image.mediaType,
        digest: c.image.digest,
        size: c.image.manifest.length,
        platform: { architecture: c.arch, os: 'linux' },
      })),
    }),
  );
  return { digest: sha256(manifest), manifest, mediaType: OCI_INDEX, blobs: new Map() };
}

/** Push blobs and the manifest through a registry's /v2 (Harbor: Basic auth accepted for push). */
export async function pushImage(
  base: string,
  repo: string,
  ref: string,
  img: MemImage,
  authorization: string,
): Promise<string> {
  for (const [digest, data] of img.blobs) {
    const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization },
    });
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`blob upload start ${repo}: ${start.status}`);
    const loc = new URL(start.headers.get('location') ?? '', base);
    loc.searchParams.set('digest', digest);
    const put = await fetch(loc, {
      method: 'PUT',
      body: data,
      headers: { authorization, 'content-type': 'application/octet-stream' },
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`blob put ${repo}: ${put.status}`);
  }
  const r = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body: img.manifest,
    headers: { authorization, 'content-type': img.mediaType },
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`manifest put ${repo}:${ref}: ${r.status} ${text}`);
  return img.digest;
}
