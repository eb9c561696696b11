// /v2: Harbor's registry front. Auth, manifest bookkeeping, pull blocking (manifest GET/HEAD only),
// and a streaming proxy to the backing distribution registry. Blobs are never buffered.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { HarborError, notFound } from './errors';
import { MAX_MANIFEST_BODY, readBody, sendJson } from './httpx';
import { recordManifest } from './manifest';
import {
  accessoriesOf,
  artifactById,
  artifactByRef,
  deleteArtifact,
  isAccessory,
  isIndex,
  projectByName,
  repoByName,
  tagByName,
} from './model';
import { pullViolation } from './policy';
import { challenge, isAuthed, mayCatalog, mayDo, registryCaller, type RegistryCaller } from './registry-auth';
import { scannable } from './render';
import type { Sim } from './sim';
import { now } from './store';
import { tokenAllows } from './token';

const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
  'authorization',
]);

function forward(
  sim: Sim,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  opts: {
    method?: string;
    body?: Buffer;
    onDone?: (status: number, headers: http.IncomingHttpHeaders) => void | Promise<void>;
  } = {},
): Promise<void> {
  const base = new URL(sim.registry.base);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
  if (opts.body) headers['content-length'] = opts.body.length;
  return new Promise((resolve) => {
    res.once('close', () => resolve());
    const up = http.request(
      {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path,
        method: opts.method ?? req.method,
        headers,
      },
      (ures) => void respond(ures),
    );
    const respond = async (ures: IncomingMessage): Promise<void> => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ures.headers))
        if (!HOP.has(k) && k !== 'www-authenticate' && v !== undefined) out[k] = v;
      const loc = ures.headers.location;
      if (loc) {
        const u = new URL(loc, sim.registry.base);
        out.location =
          u.origin === base.origin ? `http://${req.headers.host ?? ''}${u.pathname}${u.search}` : loc;
      }
      try {
        await opts.onDone?.(ures.statusCode ?? 500, ures.headers);
      } catch (e) {
        ures.resume();
        if (!res.headersSent)
          sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
        sim.log(`proxy: ${e instanceof Error ? e.message : String(e)}`);
        resolve();
        return;
      }
      res.writeHead(ures.statusCode ?? 502, out);
      ures.pipe(res);
      ures.on('end', () => resolve());
      ures.on('error', () => {
        res.destroy();
        resolve();
      });
    };
    up.on('error', () => {
      if (!res.headersSent)
        sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
      else res.destroy();
      resolve();
    });
    if (opts.body) up.end(opts.body);
    else if (req.method === 'GET' || req.method === 'HEAD') up.end();
    else req.pipe(up);
  });
}

function pullBypass(caller: RegistryCaller, repo: string, ua: string): boolean {
  if (!caller.token) return false;
  if (caller.token.access.some((a) => a.actions.includes('scanner-pull'))) return true;
  return tokenAllows(caller.token, repo, 'push') && /cosign|notation/i.test(ua);
}

async function manifest(
  sim: Sim,
  req: IncomingMessage,
  res: ServerResponse,
  caller: RegistryCaller,
  repoName: string,
  ref: string,
  rawPath: string,
): Promise<void> {
  const s = sim.s;
  const method = req.method ?? 'GET';
  const project = projectByName(s, repoName.split('/')[0] ?? '')!;
  if (method === 'GET' || method === 'HEAD') {
    const repo = repoByName(s, repoName);
    const art = repo ? artifactByRef(s, repo, ref) : undefined;
    if (!repo || !art)
      throw notFound(
        ref.startsWith('sha256:')
          ? `artifact ${repoName}@${ref} not found`
          : `artifact ${repoName}:${ref} not found`,
      );
    const scannerOn = sim.faults.scanner !== 'unavailable';
    const msg = pullViolation({
      metadata: project.metadata,
      isSignature:
        isAccessory(s, art) &&
        s.accessories.some((a) => a.artifactId === art.id && a.type.startsWith('signature.')),
      accessoryTypes: accessoriesOf(s, art).map((a) => a.type),
      signerBypass: pullBypass(caller, repoName, String(req.headers['user-agent'] ?? '')),
      scannable: scannerOn && scannable(s, art),
      isIndex: isIndex(art),
      report: scannerOn ? s.reports.find((r) => r.digest === art.digest) : undefined,
      projectAllowlist: project.allowlist,
      systemAllowlist: s.systemAllowlist,
      nowSec: Math.floor(Date.now() / 1000),
    });
    if (msg) throw new HarborError('PROJECTPOLICYVIOLATION', msg);
    await forward(sim, req, res, `/v2/${repoName}/manifests/${art.digest}`, {
      onDone: (status) => {
        if (method !== 'GET' || status !== 200) return;
        const t = now();
        art.pullTime = t;
        repo.pullCount++;
        if (!ref.startsWith('sha256:')) {
          const tag = tagByName(s, repo, ref);
          if (tag) tag.pullTime = t;
        }
        sim.save();
      },
    });
    return;
  }
  if (method === 'PUT') {
    const body = await readBody(req, MAX_MANIFEST_BODY);
    await forward(sim, req, res, rawPath, {
      body,
      onDone: async (status, h) => {
        const digest = String(h['docker-content-digest'] ?? '');
        if (status !== 201 || !digest) return;
        const art = await recordManifest(
          sim,
          project,
          repoName,
          ref,
          digest,
          body,
          String(req.headers['content-type'] ?? ''),
        );
        sim.save();
        res.once('finish', () => setImmediate(() => sim.onPush(project, art)));
      },
    });
    return;
  }
  if (method === 'DELETE') {
    const repo = repoByName(s, repoName);
    const art = repo ? artifactByRef(s, repo, ref) : undefined;
    await forward(sim, req, res, rawPath, {
      onDone: (status) => {
        if (status === 202 && art && artifactById(s, art.id)) {
          deleteArtifact(s, art);
          sim.save();
        }
      },
    });
    return;
  }
  await forward(sim, req, res, rawPath);
}

/** OCI referrers, answered from the sim's accessory records. */
function referrers(
  sim: Sim,
  res: ServerResponse,
  repoName: string,
  digest: string,
  artifactType: string | null,
): void {
  const s = sim.s;
  const repo = repoByName(s, repoName);
  const subject = repo ? artifactByRef(s, repo, digest) : undefined;
  const manifests = (subject ? accessoriesOf(s, subject) : [])
    .map((a) => artifactById(s, a.artifactId))
    .filter((a) => a !== undefined)
    .map((a) => {
      const manifestSize = a.size - (a.config?.size ?? 0) - a.layers.reduce((n, l) => n + l.size, 0);
      return {
        mediaType: a.manifestMediaType,
        digest: a.digest,
        size: manifestSize,
        artifactType: a.artifactType || undefined,
        annotations: Object.keys(a.annotations).length ? a.annotations : undefined,
      };
    })
    .filter((d) => !artifactType || d.artifactType === artifactType);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests,
  });
  const h: Record<string, string | number> = {
    'Content-Type': 'application/vnd.oci.image.index.v1+json',
    'Content-Length': Buffer.byteLength(body),
    'X-Total-Count': manifests.length, // Harbor v2.15.2 sends it on referrers too (real-harbor.md)
  };
  if (artifactType) h['OCI-Filters-Applied'] = 'artifactType';
  res.writeHead(200, h);
  res.end(body);
}

export async function handleV2(sim: Sim, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const s = sim.s;
  const caller = await registryCaller(s, req);
  const rawPath = req.url ?? '/v2/';
  const path = url.pathname;
  if (path === '/v2/' || path === '/v2') {
    if (!isAuthed(caller)) throw challenge(req, caller, null);
    await forward(sim, req, res, '/v2/');
    return;
  }
  if (path === '/v2/_catalog') {
    if (!mayCatalog(caller)) throw challenge(req, { ...caller, hadAuthHeader: true }, null);
    await forward(sim, req, res, rawPath);
    return;
  }
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\/(.*)$/.exec(path);
  if (!m) throw notFound('not found');
  const repoName = m[1] ?? '';
  const kind = m[2] ?? '';
  const rest = m[3] ?? '';
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  const action = read ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  const scope = `repository:${repoName}:${read ? 'pull' : 'pull,push'}`;
  if (!projectByName(s, repoName.split('/')[0] ?? '') || !mayDo(s, caller, repoName, action))
    throw challenge(req, caller, scope);
  if (kind === 'manifests')
    return manifest(sim, req, res, caller, repoName, decodeURIComponent(rest), rawPath);
  if (kind === 'referrers')
    return referrers(sim, res, repoName, decodeURIComponent(rest), url.searchParams.get('artifactType'));
  let target = rawPath;
  if (kind === 'blobs' && rest.startsWith('uploads') && method === 'POST' && url.searchParams.has('mount')) {
    const fromRepo = url.searchParams.get('from') ?? '';
    if (!mayDo(s, caller, fromRepo, 'pull')) {
      const u = new URL(rawPath, 'http://x');
      u.searchParams.delete('mount');
      u.searchParams.delete('from');
      target = u.pathname + u.search;
    }
  }
  await forward(sim, req, res, target);
}
