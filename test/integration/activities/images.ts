// Pushes small, unique OCI images straight to Harbor's /v2 (CI robot, Basic auth), so the activity tests
// do not depend on Docker. An optional random layer makes "bytes through the worker" measurable.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';

export interface Pusher {
  harborUrl: string;
  username: string;
  password: string;
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A one-file tar archive (ustar), enough for a layer. */
function tar(name: string, content: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
}

export class ImagePusher {
  /** Bytes of blobs pushed, per digest (test assertions compare against it). */
  constructor(private readonly p: Pusher) {}

  private auth(): string {
    return 'Basic ' + Buffer.from(`${this.p.username}:${this.p.password}`).toString('base64');
  }

  async blob(repo: string, data: Buffer): Promise<string> {
    const digest = sha(data);
    const start = await request(`${this.p.harborUrl}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: this.auth() },
    });
    await start.body.text();
    if (start.statusCode !== 202) throw new Error(`blob upload start ${repo}: ${start.statusCode}`);
    const loc = new URL(String(start.headers.location), this.p.harborUrl);
    loc.searchParams.set('digest', digest);
    const put = await request(loc.toString(), {
      method: 'PUT',
      headers: {
        authorization: this.auth(),
        'content-type': 'application/octet-stream',
        'content-length': String(data.length),
      },
      body: data,
    });
    const t = await put.body.text();
    if (put.statusCode !== 201) throw new Error(`blob put ${repo}: ${put.statusCode} ${t}`);
    return digest;
  }

  async manifest(repo: string, reference: string, manifest: object, mediaType: string): Promise<string> {
    const body = Buffer.from(JSON.stringify(manifest));
    const res = await request(`${this.p.harborUrl}/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      headers: { authorization: this.auth(), 'content-type': mediaType },
      body,
    });
    const t = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`manifest put ${repo}:${reference}: ${res.statusCode} ${t}`);
    return sha(body);
  }

  /**
   * A unique single-platform image; `layerBytes` of random data make it heavy when needed. `digestContains`
   * (e.g. "401") varies a config label until the manifest digest contains that text: tool output then
   * carries the number inside a digest, where no classifier may read it as a status (issue 15).
   */
  async image(
    repo: string,
    tag: string,
    opts: { layerBytes?: number; arch?: string; digestContains?: string } = {},
  ): Promise<{ digest: string; size: number }> {
    const file = Buffer.concat([
      Buffer.from(`unique ${randomBytes(8).toString('hex')}\n`),
      randomBytes(opts.layerBytes ?? 0),
    ]);
    const layer = gzipSync(tar('hello.txt', file), { level: 0 });
    const ld = sha(layer);
    const build = (n: number) => {
      const config = Buffer.from(
        JSON.stringify({
          architecture: opts.arch ?? 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(tar('hello.txt', file))] },
          config: n === 0 ? {} : { Labels: { attempt: String(n) } },
        }),
      );
      const m = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha(config),
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: ld, size: layer.length },
        ],
      };
      return { config, m };
    };
    let n = 0;
    let built = build(n);
    // About 1.5% of digests contain a given 3-digit text: a few hundred local hashes at most.
    while (opts.digestContains && !sha(Buffer.from(JSON.stringify(built.m))).includes(opts.digestContains))
      built = build(++n);
    const { config, m } = built;
    await this.blob(repo, layer);
    await this.blob(repo, config);
    const digest = await this.manifest(repo, tag, m, m.mediaType);
    return { digest, size: layer.length + config.length };
  }

  /** A two-platform index; the children are pushed by digest. */
  async index(repo: string, tag: string): Promise<{ digest: string; children: string[] }> {
    const children: string[] = [];
    const manifests = [];
    for (const arch of ['amd64', 'arm64']) {
      const { digest } = await this.image(repo, `tmp-${arch}-${randomBytes(3).toString('hex')}`, { arch });
      children.push(digest);
      manifests.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 0,
        platform: { architecture: arch, os: 'linux' },
      });
    }
    // Sizes must be right for strict registries: fetch them back.
    for (const m of manifests) {
      const r = await request(`${this.p.harborUrl}/v2/${repo}/manifests/${m.digest}`, {
        method: 'GET',
        headers: { authorization: this.auth(), accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      m.size = (await r.body.arrayBuffer()).byteLength;
    }
    const idx = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    return { digest: await this.manifest(repo, tag, idx, idx.mediaType), children };
  }
}
