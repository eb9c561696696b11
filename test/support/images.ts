/**
 * Pushes unique OCI images to harbor-sim's /v2 (CI robot, Basic auth) without Docker: one random layer of
 * the requested size (gzip "stored", so its size is what was asked for), a config, a manifest. Also adds
 * tags to an existing digest through the REST API (for many promotions of one image, and for "tag moved").
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { need, type Env } from './env';
import { ustar } from './tar';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  /** Bytes of config + layer blobs. */
  size: number;
}

export class ImagePusher {
  private readonly base: string;
  private readonly auth: string;

  constructor(env: Env, username?: string, password?: string) {
    this.base = need(env, 'HARBOR_URL').replace(/\/$/, '');
    const u = username ?? need(env, 'HARBOR_CI_USERNAME');
    const p = password ?? need(env, 'HARBOR_CI_PASSWORD');
    this.auth = `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  }

  private async fetchOk(url: string, init: RequestInit, expect: number, what: string): Promise<Response> {
    const go = () =>
      fetch(url, {
        ...init,
        headers: { authorization: this.auth, ...(init.headers as Record<string, string>) },
      });
    // One retry on a connection-level failure (a keep-alive socket closed by the server between requests).
    const res = await go().catch(() => go());
    if (res.status !== expect) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    return res;
  }

  private async blob(path: string, data: Buffer): Promise<string> {
    const digest = sha(data);
    const head = await fetch(`${this.base}/v2/${path}/blobs/${digest}`, {
      method: 'HEAD',
      headers: { authorization: this.auth },
    });
    await head.arrayBuffer().catch(() => undefined);
    if (head.status === 200) return digest;
    const start = await this.fetchOk(
      `${this.base}/v2/${path}/blobs/uploads/`,
      { method: 'POST' },
      202,
      `blob upload to ${path}`,
    );
    await start.arrayBuffer();
    const loc = new URL(start.headers.get('location')!, this.base);
    loc.searchParams.set('digest', digest);
    const put = await this.fetchOk(
      loc.toString(),
      { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } },
      201,
      `blob put to ${path}`,
    );
    await put.arrayBuffer();
    return digest;
  }

  /**
   * Pushes `project/repository:tag` with a unique random payload of `payloadBytes` (default: a few bytes).
   * `files` adds more files to the layer (e.g. an apk `lib/apk/db/installed` the sim's scanner reads).
   * `digestContains` (e.g. "401") varies a config label until the manifest digest contains it, so tool
   * output carries that number inside a digest (issue 15: it must never be read as a status).
   */
  async push(
    project: string,
    repository: string,
    tag: string,
    opts: { payloadBytes?: number; digestContains?: string } = {},
  ): Promise<PushedImage> {
    const path = `${project}/${repository}`;
    const content = Buffer.concat([
      Buffer.from(`unique ${randomBytes(16).toString('hex')}\n`),
      randomBytes(opts.payloadBytes ?? 0),
    ]);
    const raw = ustar([['payload.bin', content]]);
    const layer = gzipSync(raw, { level: 0 });
    const build = (n: number) => {
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(raw)] },
          config: n === 0 ? {} : { Labels: { attempt: String(n) } },
        }),
      );
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha(config),
            size: config.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
              digest: sha(layer),
              size: layer.length,
            },
          ],
        }),
      );
      return { config, manifest };
    };
    let n = 0;
    let built = build(n);
    // About 1.5% of digests contain a given 3-digit text: a few hundred local hashes at most.
    while (opts.digestContains && !sha(built.manifest).includes(opts.digestContains)) built = build(++n);
    const { config, manifest } = built;
    await this.blob(path, layer);
    await this.blob(path, config);
    const res = await this.fetchOk(
      `${this.base}/v2/${path}/manifests/${tag}`,
      {
        method: 'PUT',
        body: manifest,
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      },
      201,
      `manifest put ${path}:${tag}`,
    );
    await res.arrayBuffer();
    return { repository, tag, digest: sha(manifest), size: layer.length + config.length };
  }

  /** Adds `tag` to an existing digest (REST API; 409 when the tag exists is an error). */
  async addTag(project: string, repository: string, digest: string, tag: string): Promise<void> {
    const repo = encodeURIComponent(encodeURIComponent(repository));
    const res = await this.fetchOk(
      `${this.base}/api/v2.0/projects/${project}/repositories/${repo}/artifacts/${digest}/tags`,
      {
        method: 'POST',
        body: JSON.stringify({ name: tag }),
        headers: { 'content-type': 'application/json' },
      },
      201,
      `tag ${project}/${repository}@${digest} as ${tag}`,
    );
    await res.arrayBuffer();
  }
}
