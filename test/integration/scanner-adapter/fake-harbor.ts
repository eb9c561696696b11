// A fake of what real Harbor v2.15.2 does on /v2 for a scanner: 401 + Bearer challenge on /v2/, a token
// service taking the robot's Basic credential, 412 on manifest pulls in a prevent_vul project unless the
// token carries `scanner-pull`, blobs redirected to storage on another origin. Records what it was sent.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MemImage } from './images';

export interface FakeHarborOptions {
  robot: { name: string; secret: string };
  challenge: 'bearer' | 'basic';
  /** token service path advertised as realm (default /service/token on this server) */
  realm?: string;
  /** tokens for the robot carry scanner-pull (Harbor: the scan job's robot has that permission) */
  scannerPull: boolean;
  preventVul: boolean;
  redirectBlobs: boolean;
}

export interface Seen {
  method: string;
  path: string;
  auth: string;
  origin: 'registry' | 'storage';
}

const VIOLATION =
  'current image with 2 vulnerabilities cannot be pulled due to configured policy in \'Prevent images with vulnerability severity of "High" or higher from running.\' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.';

function listen(s: Server): Promise<string> {
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as { port: number }).port}`)),
  );
}

export class FakeHarbor {
  readonly seen: Seen[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly manifests = new Map<string, MemImage>();
  /** served blobs by digest (a test may corrupt one) */
  readonly blobs = new Map<string, Buffer>();
  private readonly tokens = new Map<string, { scannerPull: boolean }>();
  private readonly registry: Server;
  private readonly storage: Server;
  url = '';
  private storageUrl = '';

  constructor(readonly o: FakeHarborOptions) {
    this.registry = createServer((q, s) => this.onRegistry(q, s));
    this.storage = createServer((q, s) => this.onStorage(q, s));
  }

  async start(): Promise<this> {
    this.url = await listen(this.registry);
    this.storageUrl = await listen(this.storage);
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.registry, this.storage]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }

  add(repo: string, img: MemImage): void {
    this.manifests.set(`${repo}@${img.digest}`, img);
    for (const [d, b] of img.blobs) this.blobs.set(d, b);
  }

  get basic(): string {
    return `Basic ${Buffer.from(`${this.o.robot.name}:${this.o.robot.secret}`).toString('base64')}`;
  }

  private err(res: ServerResponse, status: number, code: string, message: string, h = {}): void {
    const body = JSON.stringify({ errors: [{ code, message }] });
    res.writeHead(status, { 'content-type': 'application/json', ...h });
    res.end(body);
  }

  private onStorage(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.storageUrl).pathname;
    this.seen.push({
      method: req.method ?? '',
      path,
      auth: req.headers.authorization ?? '',
      origin: 'storage',
    });
    const blob = this.blobs.get(path.slice(1));
    if (!blob) return this.err(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
    res.end(blob);
  }

  private onRegistry(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', this.url);
    const auth = req.headers.authorization ?? '';
    this.seen.push({ method: req.method ?? '', path: u.pathname, auth, origin: 'registry' });
    const challenge =
      this.o.challenge === 'bearer'
        ? `Bearer realm="${this.o.realm ?? `${this.url}/service/token`}",service="harbor-registry"`
        : 'Basic realm="harbor"';
    if (u.pathname === '/service/token') {
      this.tokenRequests.push(u.searchParams);
      if (auth !== this.basic) return this.err(res, 401, 'UNAUTHORIZED', 'unauthorized');
      const token = randomBytes(16).toString('hex');
      this.tokens.set(token, { scannerPull: this.o.scannerPull });
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        // Harbor v2.15.2 sends access_token as an empty string
        JSON.stringify({ token, access_token: '', expires_in: 1800, issued_at: new Date().toISOString() }),
      );
    }
    let caller: { scannerPull: boolean } | null = null;
    if (auth === this.basic) caller = { scannerPull: false };
    else if (auth.startsWith('Bearer ')) caller = this.tokens.get(auth.slice(7)) ?? null;
    if (!caller)
      return this.err(res, 401, 'UNAUTHORIZED', 'unauthorized to access repository', {
        'www-authenticate': challenge,
      });
    if (u.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(u.pathname);
    if (!m) return this.err(res, 404, 'NOT_FOUND', 'not found');
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const img = this.manifests.get(`${repo}@${ref}`);
      if (!img) return this.err(res, 404, 'MANIFEST_UNKNOWN', `artifact ${repo}@${ref} not found`);
      // Harbor's vulnerable middleware: only a token with scanner-pull skips the check
      if (this.o.preventVul && !caller.scannerPull)
        return this.err(res, 412, 'PROJECTPOLICYVIOLATION', VIOLATION);
      res.writeHead(200, { 'content-type': img.mediaType, 'docker-content-digest': img.digest });
      return void res.end(img.manifest);
    }
    const blob = this.blobs.get(ref);
    if (!blob) return this.err(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    if (this.o.redirectBlobs) {
      res.writeHead(307, { location: `${this.storageUrl}/${ref}` });
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
    res.end(blob);
  }
}
