// Build an OCI image layout directory without Docker: one gzip layer (apk database, nonce, optional
// random payload streamed to disk), an image config, a manifest and index.json, all with real digests.
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create as tarCreate } from 'tar';

export interface ApkPkg {
  name: string;
  version: string;
}

export interface BuildOptions {
  /** output directory (created; must be empty or absent) */
  out: string;
  /** tag recorded in index.json as org.opencontainers.image.ref.name */
  tag: string;
  /** packages written as lib/apk/db/installed */
  packages?: ApkPkg[];
  /** extra random payload in bytes (streamed, never held in memory) */
  payloadBytes?: number;
  /** label/nonce: different values give different digests */
  label?: string;
  architecture?: string;
}

export interface BuiltImage {
  dir: string;
  tag: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  layerSize: number;
}

export function apkInstalled(pkgs: ApkPkg[]): string {
  return (
    pkgs
      .map(
        (p) =>
          `C:Q1${createHash('sha1')
            .update(p.name + p.version)
            .digest(
              'base64',
            )}\nP:${p.name}\nV:${p.version}\nA:x86_64\nS:1024\nI:4096\nT:${p.name} (fixture)\nL:MIT\n`,
      )
      .join('\n') + '\n'
  );
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function writeRandom(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'w');
  try {
    const chunk = 1 << 20;
    for (let left = bytes; left > 0; left -= chunk) await fh.write(randomBytes(Math.min(chunk, left)));
  } finally {
    await fh.close();
  }
}

function hasher(h: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(c: Buffer, _e, cb) {
      h.update(c);
      cb(null, c);
    },
  });
}

export async function buildImage(o: BuildOptions): Promise<BuiltImage> {
  const blobs = join(o.out, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'oci-stage-'));
  try {
    mkdirSync(join(stage, 'lib', 'apk', 'db'), { recursive: true });
    mkdirSync(join(stage, 'etc'), { recursive: true });
    writeFileSync(join(stage, 'lib', 'apk', 'db', 'installed'), apkInstalled(o.packages ?? []));
    writeFileSync(join(stage, 'etc', 'image-label'), `${o.label ?? randomBytes(8).toString('hex')}\n`);
    const files = ['etc', 'lib'];
    if (o.payloadBytes && o.payloadBytes > 0) {
      await writeRandom(join(stage, 'payload.bin'), o.payloadBytes);
      files.push('payload.bin');
    }
    // layer: tar → (diff_id hash) → gzip → (digest hash) → temp file, streamed
    const diff = createHash('sha256');
    const dig = createHash('sha256');
    const tmp = join(blobs, `.layer-${process.pid}.tmp`);
    const tarStream = tarCreate(
      { cwd: stage, portable: true, mtime: new Date(0), gzip: false },
      files,
    ) as unknown as NodeJS.ReadableStream;
    await pipeline(tarStream, hasher(diff), createGzip({ level: 1 }), hasher(dig), createWriteStream(tmp));
    const layerDigest = `sha256:${dig.digest('hex')}`;
    const diffId = `sha256:${diff.digest('hex')}`;
    renameSync(tmp, join(blobs, layerDigest.slice(7)));
    const layerSize = statSync(join(blobs, layerDigest.slice(7))).size;

    const created = '2026-01-01T00:00:00Z';
    const config = Buffer.from(
      JSON.stringify({
        created,
        architecture: o.architecture ?? 'amd64',
        os: 'linux',
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Labels: { 'org.opencontainers.image.description': o.label ?? 'harbor-promote test image' },
        },
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created, created_by: 'dev/oci-image' }],
      }),
    );
    const configDigest = sha(config);
    writeFileSync(join(blobs, configDigest.slice(7)), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layerSize },
        ],
      }),
    );
    const manifestDigest = sha(manifest);
    writeFileSync(join(blobs, manifestDigest.slice(7)), manifest);
    writeFileSync(join(o.out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(o.out, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: manifestDigest,
            size: manifest.length,
            annotations: { 'org.opencontainers.image.ref.name': o.tag },
          },
        ],
      }),
    );
    return { dir: o.out, tag: o.tag, manifestDigest, configDigest, layerDigest, layerSize };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export interface BuiltIndex {
  dir: string;
  tag: string;
  indexDigest: string;
  /** architecture → child manifest digest, in the order asked for */
  children: { architecture: string; digest: string }[];
}

/**
 * A multi-platform image: one image per architecture (each a distinct digest) under an OCI image index,
 * all in one layout whose index.json names the index as `tag`. Push it with `pushImage({ all: true })`.
 */
export async function buildIndex(
  o: Omit<BuildOptions, 'architecture'> & { architectures: string[] },
): Promise<BuiltIndex> {
  const children: BuiltIndex['children'] = [];
  const manifests: object[] = [];
  for (const architecture of o.architectures) {
    const img = await buildImage({ ...o, architecture, label: `${o.label ?? 'index'}-${architecture}` });
    const size = statSync(join(o.out, 'blobs', 'sha256', img.manifestDigest.slice(7))).size;
    children.push({ architecture, digest: img.manifestDigest });
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: img.manifestDigest,
      size,
      platform: { architecture, os: 'linux' },
    });
  }
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  const indexDigest = sha(index);
  writeFileSync(join(o.out, 'blobs', 'sha256', indexDigest.slice(7)), index);
  writeFileSync(
    join(o.out, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: indexDigest,
          size: index.length,
          annotations: { 'org.opencontainers.image.ref.name': o.tag },
        },
      ],
    }),
  );
  return { dir: o.out, tag: o.tag, indexDigest, children };
}
