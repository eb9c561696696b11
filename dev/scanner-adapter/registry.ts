// Pulls one artifact through Harbor's /v2 with the credential from the scan request: manifests (image or
// index) and layer blobs, digests verified, redirects to blob storage followed without the credential.
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { LayerRef } from '../scan-core/layers';
import { fetchToken, parseChallenge, RegistryAuthError } from './auth';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
const MANIFEST_ACCEPT = Object.values(MT).join(', ');
const MAX_MANIFEST_BYTES = 4 << 20;
const TIMEOUTS = { headersTimeout: 60_000, bodyTimeout: 300_000 };
/** For `registry.insecure` (Harbor's "skip certificate verification" on the scanner registration). */
let insecureAgent: Agent | null = null;
const insecure = (): Agent => (insecureAgent ??= new Agent({ connect: { rejectUnauthorized: false } }));

/** How the pull was authorised, for the log line (never the credential itself). */
export type AuthMode = 'bearer-given' | 'bearer-token' | 'basic' | 'anonymous';

const Descriptor = z.object({ mediaType: z.string().default(''), digest: z.string().min(1) });
const ImageManifest = z.object({ mediaType: z.string().optional(), layers: z.array(Descriptor) });
const IndexManifest = z.object({ mediaType: z.string().optional(), manifests: z.array(Descriptor) });

export type Manifest =
  | { kind: 'image'; digest: string; layers: LayerRef[] }
  | { kind: 'index'; digest: string; children: { digest: string; mediaType: string }[] };

export class PullError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function harborMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    /* not Harbor's error shape */
  }
  return text.slice(0, 200).trim();
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Passes the stream through and fails it at the end when the bytes do not hash to `digest`. */
function verifying(digest: string): Transform {
  const [alg, want] = digest.split(':');
  const hash = alg === 'sha256' ? createHash('sha256') : null; // other algorithms: not verified
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash?.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const got = hash?.digest('hex');
      cb(got && got !== want ? new PullError(`blob ${digest}: content hashes to sha256:${got}`) : null);
    },
  });
}

export class RegistryPuller {
  private header: string | undefined;
  mode: AuthMode = 'anonymous';
  private readonly scope: string;

  constructor(
    readonly base: string,
    readonly repository: string,
    private readonly credential: string | undefined,
    private readonly insecureTls = false,
  ) {
    this.base = base.replace(/\/+$/, '');
    this.scope = `repository:${repository}:pull`;
  }

  private get opts(): { headersTimeout: number; bodyTimeout: number; dispatcher?: Dispatcher } {
    return this.insecureTls ? { ...TIMEOUTS, dispatcher: insecure() } : TIMEOUTS;
  }

  /** Decide how to authenticate from the registry's /v2/ answer (the docker client's flow). */
  async authenticate(): Promise<AuthMode> {
    if (this.credential && /^bearer\s/i.test(this.credential)) {
      this.header = this.credential;
      return (this.mode = 'bearer-given');
    }
    const res = await request(`${this.base}/v2/`, this.opts).catch((e: unknown) => {
      throw new PullError(
        `registry ${this.base} not reachable: ${e instanceof Error ? e.message : String(e)}`,
      );
    });
    await res.body.dump();
    if (res.statusCode === 200) return this.useCredential();
    if (res.statusCode !== 401)
      throw new PullError(
        `registry ${this.base}/v2/ answered ${res.statusCode}; registry.url must be Harbor's registry base URL`,
        res.statusCode,
      );
    const ch = parseChallenge(res.headers['www-authenticate']);
    if (ch?.scheme === 'bearer' && ch.params.realm) {
      await this.refreshToken(ch);
      return (this.mode = 'bearer-token');
    }
    return this.useCredential();
  }

  private useCredential(): AuthMode {
    this.header = this.credential;
    return (this.mode = this.credential ? 'basic' : 'anonymous');
  }

  private async refreshToken(ch: NonNullable<ReturnType<typeof parseChallenge>>): Promise<void> {
    const token = await fetchToken({
      registry: this.base,
      challenge: ch,
      scope: this.scope,
      authorization: this.credential,
      ...(this.insecureTls ? { dispatcher: insecure() } : {}),
    });
    this.header = `Bearer ${token}`;
  }

  /** GET with the current authorization; one token refresh on a bearer 401; storage redirects followed. */
  private async get(path: string, accept?: string): Promise<Dispatcher.ResponseData> {
    let url = new URL(`${this.base}${path}`);
    let retried = false;
    for (let hops = 0; hops < 5; hops++) {
      const sameHost = url.origin === new URL(this.base).origin;
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (sameHost && this.header) headers.authorization = this.header;
      const res = await request(url, { headers, ...this.opts });
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location) {
        await res.body.dump();
        url = new URL(String(res.headers.location), url);
        continue;
      }
      if (res.statusCode === 401 && sameHost && !retried && this.mode !== 'bearer-given') {
        const ch = parseChallenge(res.headers['www-authenticate']);
        if (ch?.scheme === 'bearer' && ch.params.realm) {
          await res.body.dump();
          retried = true;
          await this.refreshToken(ch);
          this.mode = 'bearer-token';
          continue;
        }
      }
      return res;
    }
    throw new PullError(`${path}: too many redirects`);
  }

  private async failure(res: Dispatcher.ResponseData, what: string): Promise<PullError> {
    const msg = harborMessage(await res.body.text());
    const hint =
      res.statusCode === 412
        ? ' (Harbor refused the pull by project policy; the scanner needs a token from the token service, which it gets only when the registry sends a Bearer challenge)'
        : res.statusCode === 401 || res.statusCode === 403
          ? ' (the credential in registry.authorization was not accepted for this repository)'
          : '';
    return new PullError(`${what}: ${res.statusCode} ${msg}${hint}`, res.statusCode);
  }

  async manifest(ref: string): Promise<Manifest> {
    const what = `GET manifest ${this.repository}@${ref}`;
    const res = await this.get(`/v2/${this.repository}/manifests/${ref}`, MANIFEST_ACCEPT);
    if (res.statusCode !== 200) throw await this.failure(res, what);
    const len = Number(res.headers['content-length'] ?? 0);
    if (len > MAX_MANIFEST_BYTES) {
      await res.body.dump();
      throw new PullError(`${what}: manifest of ${len} bytes is too large`);
    }
    const body = Buffer.from(await res.body.arrayBuffer());
    const digest = sha256(body);
    if (ref.startsWith('sha256:') && digest !== ref)
      throw new PullError(`${what}: content hashes to ${digest}`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new PullError(`${what}: not JSON`);
    }
    const ctype = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const declared = (json as { mediaType?: unknown }).mediaType;
    const mt = typeof declared === 'string' && declared ? declared : ctype;
    const isIndex =
      mt === MT.ociIndex || mt === MT.dockerList || (json as { manifests?: unknown }).manifests !== undefined;
    if (isIndex) {
      const idx = IndexManifest.safeParse(json);
      if (!idx.success) throw new PullError(`${what}: malformed index`);
      return { kind: 'index', digest, children: idx.data.manifests };
    }
    const img = ImageManifest.safeParse(json);
    if (!img.success) throw new PullError(`${what}: ${mt || 'manifest'} without layers is not an image`);
    return { kind: 'image', digest, layers: img.data.layers };
  }

  async openBlob(digest: string): Promise<Readable> {
    const res = await this.get(`/v2/${this.repository}/blobs/${digest}`);
    if (res.statusCode !== 200) throw await this.failure(res, `GET blob ${this.repository}@${digest}`);
    // pipeline() carries a failure of the download into the returned stream
    return pipeline(res.body, verifying(digest), () => undefined);
  }
}

export { RegistryAuthError };
