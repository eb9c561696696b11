/**
 * Minimal OCI distribution (/v2) helper on the same Harbor connection: manifest HEAD (digest check and
 * "is it pullable" probe, harbor-api.md §8) and, when a HEAD is blocked, a GET to read Harbor's 412 message
 * (HEAD answers 412 without a body, §6). Basic auth works directly on Harbor's /v2, so no token dance.
 */
import type { HarborConnection } from './client.js';
import { header } from './client.js';
import { request } from 'undici';
import { HarborHttpError } from './errors.js';

const REDIRECTS = [301, 302, 303, 307, 308];

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
}

export class RegistryApi {
  constructor(readonly conn: HarborConnection) {}

  /** `/v2/<project>/<repository>/manifests/<reference>`; the repository keeps its slashes here (§8). */
  static manifestPath(project: string, repository: string, reference: string): string {
    const repo = `${project}/${repository}`.split('/').map(encodeURIComponent).join('/');
    return `/v2/${repo}/manifests/${encodeURIComponent(reference).replace(/%3A/gi, ':')}`;
  }

  /**
   * HEAD the manifest. A 412 is re-tried as GET only to obtain Harbor's policy message (a blocked GET serves
   * no manifest and fires no pull event), then thrown as the GET's 412 error.
   */
  async headManifest(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<ManifestHead> {
    const path = RegistryApi.manifestPath(project, repository, reference);
    const spec = { api: 'registry' as const, template: path, headers: { accept: MANIFEST_ACCEPT }, signal };
    try {
      const res = await this.conn.request({ ...spec, method: 'HEAD' });
      return {
        digest: header(res.headers, 'docker-content-digest'),
        mediaType: header(res.headers, 'content-type'),
      };
    } catch (err) {
      if (err instanceof HarborHttpError && err.status === 412 && !err.harborMessage) {
        await this.conn.request({ ...spec, method: 'GET' }); // throws the 412 with its message
      }
      throw err;
    }
  }

  /** GET a manifest's exact bytes, or undefined on 404 (e.g. no `.sig` tag: the image is unsigned). */
  async getManifest(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; mediaType?: string } | undefined> {
    const path = RegistryApi.manifestPath(project, repository, reference);
    const res = await this.conn.request({
      api: 'registry',
      method: 'GET',
      template: path,
      headers: { accept: MANIFEST_ACCEPT },
      accept: [200, 404],
      signal,
    });
    if (res.status === 404) return undefined;
    return { bytes: res.bytes ?? Buffer.from(res.body), mediaType: header(res.headers, 'content-type') };
  }

  /**
   * GET a manifest as a signing tool does: with a registry token (Harbor puts every repository action the
   * account holds into it) and a User-Agent naming cosign. Harbor v2.15.2 lets such a request through its
   * pull policies when the token holds push (`SkipPolicyChecking`: content trust and prevent_vul), which is
   * how cosign reads a legacy `.att` that Harbor scans like an image and may refuse everybody else
   * (docs/attestations.md). An account without push gets the ordinary answer.
   */
  async getManifestAsSigner(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; mediaType?: string } | undefined> {
    const scope = `repository:${project}/${repository}:pull,push`;
    const t = await this.conn.request({
      api: 'registry',
      method: 'GET',
      template: `/service/token?service=harbor-registry&scope=${encodeURIComponent(scope)}`,
      signal,
    });
    const token = (JSON.parse(t.body) as { token?: unknown }).token;
    if (typeof token !== 'string') throw new Error('GET /service/token answered without a token');
    const res = await this.conn.request({
      api: 'registry',
      method: 'GET',
      template: RegistryApi.manifestPath(project, repository, reference),
      headers: {
        accept: MANIFEST_ACCEPT,
        authorization: `Bearer ${token}`,
        'user-agent': 'harbor-promote (cosign-compatible verifier)',
      },
      accept: [200, 404],
      signal,
    });
    if (res.status === 404) return undefined;
    return { bytes: res.bytes ?? Buffer.from(res.body), mediaType: header(res.headers, 'content-type') };
  }

  /**
   * GET a (small) blob's exact bytes; signature payloads are a few hundred bytes. Harbor on object storage
   * answers a blob GET with a redirect to a pre-signed URL (as registries may): that URL is fetched without
   * our credentials, as registry clients do, since it carries its own authorisation.
   */
  async getBlob(project: string, repository: string, digest: string, signal?: AbortSignal): Promise<Buffer> {
    const repo = `${project}/${repository}`.split('/').map(encodeURIComponent).join('/');
    const template = `/v2/${repo}/blobs/${digest}`;
    const res = await this.conn.request({
      api: 'registry',
      method: 'GET',
      template,
      headers: { accept: '*/*' },
      accept: [200, ...REDIRECTS],
      signal,
    });
    if (res.status === 200) return res.bytes ?? Buffer.from(res.body);
    const location = header(res.headers, 'location');
    if (!location) throw new Error(`GET ${template} answered ${res.status} without a Location header`);
    const url = new URL(location, this.conn.origin);
    const timeout = AbortSignal.timeout(30_000);
    const r = await request(url, {
      method: 'GET',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const bytes = Buffer.from(await r.body.arrayBuffer());
    if (r.statusCode !== 200)
      throw new Error(
        `GET ${template}: the redirect to ${url.origin}${url.pathname} answered ${r.statusCode}`,
      );
    return bytes;
  }
}
