/**
 * Looks into harbor-sim as an admin (tests only): which digest a tag points at, the cosign signatures of a
 * digest (accessories, and the signature layers inside the `.sig` manifest), tags of a repository.
 * Plain fetch with Basic auth against Harbor's documented API (harbor-api.md), independent of src/harbor.
 */
import { need, type Env } from './env';

const enc = (repo: string) => encodeURIComponent(encodeURIComponent(repo));

export class HarborAdmin {
  private readonly base: string;
  private readonly auth: string;

  constructor(env: Env, user?: string, password?: string) {
    this.base = need(env, 'HARBOR_URL').replace(/\/$/, '');
    const u = user ?? need(env, 'HARBOR_ADMIN_USERNAME');
    const p = password ?? need(env, 'HARBOR_ADMIN_PASSWORD');
    this.auth = `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      ...init,
      headers: { authorization: this.auth, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(30_000),
    });
  }

  async json<T>(path: string): Promise<T | undefined> {
    const res = await this.request(path);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The digest `reference` (tag or digest) resolves to in project/repository, or undefined when absent. */
  async digestOf(project: string, repository: string, reference: string): Promise<string | undefined> {
    const a = await this.json<{ digest: string }>(
      `/api/v2.0/projects/${project}/repositories/${enc(repository)}/artifacts/${encodeURIComponent(reference)}?with_tag=false`,
    );
    return a?.digest;
  }

  /** Tags of every (non-accessory) artifact in the repository: tag → digest. */
  async tags(project: string, repository: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (let page = 1; ; page++) {
      const list = await this.json<{ digest: string; tags?: { name: string }[] }[]>(
        `/api/v2.0/projects/${project}/repositories/${enc(repository)}/artifacts?page=${page}&page_size=100&with_tag=true`,
      );
      if (!list || list.length === 0) break;
      for (const a of list) for (const t of a.tags ?? []) out[t.name] = a.digest;
      if (list.length < 100) break;
    }
    return out;
  }

  /** cosign signature accessories of a digest in a project. */
  async signatureAccessories(
    project: string,
    repository: string,
    digest: string,
  ): Promise<{ digest: string }[]> {
    const list = await this.json<{ digest: string; type: string }[]>(
      `/api/v2.0/projects/${project}/repositories/${enc(repository)}/artifacts/${digest}/accessories?q=${encodeURIComponent('type=signature.cosign')}&page_size=100`,
    );
    return (list ?? []).filter((a) => a.type === 'signature.cosign');
  }

  /** Signature layers in the legacy `sha256-<hex>.sig` manifest (re-signing appends a layer). 0 when absent. */
  async signatureLayers(project: string, repository: string, digest: string): Promise<number> {
    const tag = `${digest.replace(':', '-')}.sig`;
    const res = await this.request(`/v2/${project}/${repository}/manifests/${tag}`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    if (res.status === 404) return 0;
    if (!res.ok)
      throw new Error(`GET .sig manifest in ${project}/${repository}: ${res.status} ${await res.text()}`);
    const m = (await res.json()) as { layers?: unknown[] };
    return m.layers?.length ?? 0;
  }

  /** Repositories in a project (names without the project prefix). */
  async repositories(project: string): Promise<string[]> {
    const list = await this.json<{ name: string }[]>(
      `/api/v2.0/projects/${project}/repositories?page_size=100`,
    );
    return (list ?? []).map((r) => r.name.slice(project.length + 1));
  }
}
