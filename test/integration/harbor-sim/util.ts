// Shared helpers for harbor-sim tests: a target (own in-process stack or the running one), API calls, images.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_ACCEPT } from '../../../dev/harbor-sim/registry-client';
import { startSimStack, type SimStack } from '../../../dev/harbor-sim/harness';
import { buildImage, type ApkPkg } from '../../../dev/oci-image/build';
import { pushImage } from '../../../dev/oci-image/push';

export interface Creds {
  username: string;
  password: string;
}

export interface Target {
  url: string;
  host: string;
  admin: Creds;
  ci: Creds;
  promoter: Creds;
  guest: Creds;
  stack: SimStack | null;
  stop(): Promise<void>;
}

const envCreds = (u: string | undefined, p: string | undefined, du: string, dp: string): Creds => ({
  username: u || du,
  password: p || dp,
});

/** Own stack (registry + in-process sim on free ports) unless `useRunning` and HARBOR_URL is set. */
export async function target(opts: { useRunning?: boolean; scanDurationMs?: number } = {}): Promise<Target> {
  const e = process.env;
  if (opts.useRunning && e.HARBOR_URL) {
    const url = e.HARBOR_URL.replace(/\/$/, '');
    return {
      url,
      host: new URL(url).host,
      admin: envCreds(e.HARBOR_ADMIN_USERNAME, e.HARBOR_ADMIN_PASSWORD, 'admin', 'Harbor12345'),
      ci: envCreds(e.HARBOR_CI_USERNAME, e.HARBOR_CI_PASSWORD, 'robot$platform-dev+ci', 'CiSecret12345'),
      promoter: envCreds(
        e.HARBOR_USERNAME,
        e.HARBOR_PASSWORD ?? (e.HARBOR_PASSWORD_FILE && readFileSync(e.HARBOR_PASSWORD_FILE, 'utf8').trim()),
        'robot$promoter',
        'PromoterSecret12345',
      ),
      guest: envCreds(e.HARBOR_GUEST_USERNAME, e.HARBOR_GUEST_PASSWORD, 'guest', 'Guest12345'),
      stack: null,
      stop: async () => undefined,
    };
  }
  for (const k of [
    'HARBOR_SIM_ADMIN_PASSWORD',
    'HARBOR_SIM_CI_SECRET',
    'HARBOR_SIM_PROMOTER_SECRET',
    'HARBOR_SIM_GUEST_PASSWORD',
  ])
    delete process.env[k];
  const stack = await startSimStack({ scanDurationMs: opts.scanDurationMs ?? 300 });
  return {
    url: stack.url,
    host: stack.host,
    admin: { username: 'admin', password: 'Harbor12345' },
    ci: { username: 'robot$platform-dev+ci', password: 'CiSecret12345' },
    promoter: { username: 'robot$promoter', password: 'PromoterSecret12345' },
    guest: { username: 'guest', password: 'Guest12345' },
    stack,
    stop: () => stack.stop(),
  };
}

export const basic = (c: Creds): string =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(
  t: Target,
  method: string,
  path: string,
  opts: { creds?: Creds | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.creds) headers.authorization = basic(opts.creds);
  if (path.includes('/manifests/')) headers.accept ??= MANIFEST_ACCEPT;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  let r: Response;
  try {
    r = await fetch(`${t.url}${path}`, { method, headers, body });
  } catch (e) {
    // a pooled keep-alive connection to a sim that was restarted: retry idempotent calls once
    if (method !== 'GET' && method !== 'HEAD')
      throw new Error(`${method} ${path}: ${String((e as Error).cause ?? e)}`);
    r = await fetch(`${t.url}${path}`, { method, headers, body });
  }
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export const api = (
  t: Target,
  method: string,
  path: string,
  opts: Parameters<typeof call>[3] = {},
): Promise<Res> => call(t, method, `/api/v2.0${path}`, { creds: t.admin, ...opts });

export const VULNERABLE: ApkPkg[] = [
  { name: 'openssl', version: '3.1.0-r0' }, // High + Medium
  { name: 'busybox', version: '1.36.1-r20' },
];
export const CLEAN: ApkPkg[] = [
  { name: 'busybox', version: '1.36.1-r20' },
  { name: 'openssl', version: '3.3.2-r1' },
];

/** Build a small image (unique digest) and push it with the real skopeo as the CI robot. Returns its digest. */
export async function pushTestImage(
  t: Target,
  repo: string,
  tag: string,
  packages: ApkPkg[],
  creds = t.ci,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hsim-img-'));
  try {
    await buildImage({ out: dir, tag, packages, label: `${repo}:${tag}:${process.hrtime.bigint()}` });
    return await pushImage({
      layoutDir: dir,
      tag,
      dest: `${t.host}/${repo}:${tag}`,
      username: creds.username,
      password: creds.password,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function completeScans(t: Target): Promise<void> {
  const r = await call(t, 'POST', '/_sim/scans/complete', { creds: t.admin });
  if (r.status !== 200) throw new Error(`complete scans: ${r.status} ${r.text}`);
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  ms = 15_000,
  every = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, every));
  }
}

export const V11 = 'application/vnd.security.vulnerability.report; version=1.1';
export const enc2 = (repo: string): string => encodeURIComponent(encodeURIComponent(repo));

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Upload one blob through the sim's /v2 (monolithic POST + PUT) with Basic auth. */
export async function pushBlob(t: Target, repo: string, data: Buffer, creds: Creds): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${t.url}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: basic(creds) },
  });
  await start.arrayBuffer();
  if (start.status !== 202) throw new Error(`blob upload start ${start.status}`);
  const loc = new URL(start.headers.get('location') ?? '', t.url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    body: data,
    headers: { authorization: basic(creds), 'content-type': 'application/octet-stream' },
  });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`blob upload ${put.status}`);
  return digest;
}

export async function putManifest(
  t: Target,
  repo: string,
  ref: string,
  manifest: object,
  creds: Creds,
): Promise<{ status: number; digest: string }> {
  const body = Buffer.from(JSON.stringify(manifest));
  const r = await fetch(`${t.url}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body,
    headers: { authorization: basic(creds), 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  await r.arrayBuffer();
  return { status: r.status, digest: r.headers.get('docker-content-digest') ?? sha256(body) };
}

/** A cosign-format (legacy `.sig` tag) signature manifest; the signature bytes are not verified by Harbor. */
export async function pushFakeSignature(
  t: Target,
  repo: string,
  subject: string,
  creds: Creds,
  /** makes a distinct signature manifest for the same subject (a re-signing) */
  nonce = '',
): Promise<string> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${t.host}/${repo}` },
        image: { 'docker-manifest-digest': subject },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const layer = await pushBlob(t, repo, payload, creds);
  const config = Buffer.from(
    JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer] } }),
  );
  const cfg = await pushBlob(t, repo, config, creds);
  const m = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: config.length },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: layer,
        size: payload.length,
        annotations: { 'dev.cosignproject.cosign/signature': `MEUCIQDfake${nonce}` },
      },
    ],
  };
  const r = await putManifest(t, repo, `sha256-${subject.slice(7)}.sig`, m, creds);
  if (r.status !== 201) throw new Error(`signature push ${r.status}`);
  return r.digest;
}
