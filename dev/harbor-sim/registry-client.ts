// Calls from the sim to the backing OCI distribution registry (no auth there). Blobs are streamed.
import type { Readable } from 'node:stream';
import { request } from 'undici';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export class RegistryClient {
  constructor(readonly base: string) {}

  async getManifest(
    repo: string,
    ref: string,
  ): Promise<{ body: Buffer; mediaType: string; digest: string } | null> {
    const r = await request(`${this.base}/v2/${repo}/manifests/${ref}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (r.statusCode === 404) {
      await r.body.dump();
      return null;
    }
    if (r.statusCode !== 200) {
      await r.body.dump();
      throw new Error(`registry GET manifest ${repo}@${ref}: ${r.statusCode}`);
    }
    const body = Buffer.from(await r.body.arrayBuffer());
    return {
      body,
      mediaType: String(r.headers['content-type'] ?? ''),
      digest: String(r.headers['docker-content-digest'] ?? ''),
    };
  }

  async putManifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
    const r = await request(`${this.base}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body,
    });
    const text = await r.body.text();
    if (r.statusCode !== 201)
      throw new Error(`registry PUT manifest ${repo}:${ref}: ${r.statusCode} ${text.slice(0, 200)}`);
    return String(r.headers['docker-content-digest'] ?? '');
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const r = await request(`${this.base}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
    await r.body.dump();
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const r = await request(`${this.base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
    await r.body.dump();
    return r.statusCode === 200;
  }

  async blobStream(repo: string, digest: string): Promise<Readable> {
    const r = await request(`${this.base}/v2/${repo}/blobs/${digest}`);
    if (r.statusCode !== 200) {
      await r.body.dump();
      throw new Error(`registry GET blob ${repo}@${digest}: ${r.statusCode}`);
    }
    return r.body;
  }

  async blobJson(repo: string, digest: string): Promise<unknown> {
    const s = await this.blobStream(repo, digest);
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  /**
   * Make a blob available in `dst` without it leaving the registry host: a cross-repository mount.
   * If the registry refuses the mount (202), stream it registry → sim → registry inside this process.
   */
  async mountBlob(dst: string, digest: string, from: string): Promise<'mounted' | 'exists' | 'streamed'> {
    if (await this.blobExists(dst, digest)) return 'exists';
    const r = await request(
      `${this.base}/v2/${dst}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      { method: 'POST' },
    );
    await r.body.dump();
    if (r.statusCode === 201) return 'mounted';
    if (r.statusCode !== 202) throw new Error(`registry mount ${digest} ${from} → ${dst}: ${r.statusCode}`);
    const loc = String(r.headers.location ?? '');
    const url = new URL(loc, this.base);
    url.searchParams.set('digest', digest);
    const src = await this.blobStream(from, digest);
    const put = await request(url.toString(), {
      method: 'PUT',
      body: src,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`registry upload ${digest} → ${dst}: ${put.statusCode}`);
    return 'streamed';
  }
}
