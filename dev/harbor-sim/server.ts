// The HTTP front: /api/v2.0 (REST), /service/token, /v2 (registry proxy), /_sim (control).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessRoutes } from './api-access';
import { artifactRoutes } from './api-artifacts';
import { projectRoutes } from './api-projects';
import { scanRoutes } from './api-scan';
import { systemRoutes } from './api-system';
import { identifyRequest, parseBasic } from './auth';
import { handleControl } from './control';
import { HarborError, badRequest, notFound } from './errors';
import type { Family } from './faults';
import { requestId, sendError, sendJson, toHarborError } from './httpx';
import { handleV2 } from './registry-proxy';
import { Router, type Route } from './router';
import { Sim, type SimOptions } from './sim';
import type { Store } from './store';
import { issueToken } from './token';

export const API_BASE = '/api/v2.0';

export function allRoutes(): Route[] {
  return [...systemRoutes(), ...projectRoutes(), ...artifactRoutes(), ...scanRoutes(), ...accessRoutes()];
}

async function tokenEndpoint(sim: Sim, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const service = url.searchParams.get('service');
  if (service !== null && service !== 'harbor-registry') throw badRequest(`invalid service: ${service}`);
  const scopes = url.searchParams
    .getAll('scope')
    .flatMap((s) => s.split(' '))
    .filter(Boolean);
  const creds = parseBasic(req.headers.authorization);
  const id = await identifyRequest(sim.s, req);
  if (creds && id.kind === 'anonymous' && scopes.length === 0)
    throw new HarborError('UNAUTHORIZED', 'unauthorized');
  sendJson(res, 200, issueToken(sim.s, id, scopes));
}

/**
 * The response's last write waits until the state it changed is on disk (Store.save is a group commit):
 * headers and body may go out, the end of the response does not. A crash after a response loses nothing.
 */
function holdEndUntilSaved(res: ServerResponse, store: Store): void {
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    store.whenSaved(() => end(...args));
    return res;
  }) as ServerResponse['end'];
}

export class SimServer {
  readonly server: http.Server;
  readonly router = new Router(allRoutes());

  constructor(readonly sim: Sim) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.requestTimeout = 0; // 1 GB uploads take a while
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
  }

  static create(opts: SimOptions): SimServer {
    return new SimServer(new Sim(opts));
  }

  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  async close(): Promise<void> {
    this.sim.shutdown();
    this.sim.store.flush();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private count(family: Family | null, req: IncomingMessage, res: ServerResponse): void {
    if (!family) return;
    const sock = req.socket;
    const r0 = sock.bytesRead;
    const w0 = sock.bytesWritten;
    let done = false;
    const fin = (): void => {
      if (done) return;
      done = true;
      const c = this.sim.faults.counter(family);
      c.requests++;
      c.bytesIn += Math.max(0, sock.bytesRead - r0);
      c.bytesOut += Math.max(0, sock.bytesWritten - w0);
    };
    res.once('finish', fin);
    res.once('close', fin);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Request-Id', requestId(req));
    holdEndUntilSaved(res, this.sim.store);
    const head = req.method === 'HEAD';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim.invalid');
    } catch {
      sendError(res, badRequest('invalid URL'));
      return;
    }
    const path = url.pathname;
    try {
      if (path.startsWith('/_sim/')) return await handleControl(this.sim, req, res, path);
      if (path === '/service/token') {
        this.count('token', req, res);
        await this.sim.faults.apply('token', { method: req.method, path });
        return await tokenEndpoint(this.sim, req, res, url);
      }
      if (path === '/v2' || path.startsWith('/v2/')) {
        this.count('v2', req, res);
        await this.sim.faults.apply('v2', { method: req.method, path });
        return await handleV2(this.sim, req, res, url);
      }
      if (path.startsWith(`${API_BASE}/`)) {
        const rawPath = (req.url ?? '').split('?')[0]!.slice(API_BASE.length);
        const { route, params } = this.router.match(req.method ?? 'GET', rawPath);
        const family = route.family ?? 'api';
        this.count(family, req, res);
        await this.sim.faults.apply(family, { method: req.method, path });
        const id = await identifyRequest(this.sim.s, req);
        await route.handler({
          sim: this.sim,
          req,
          res,
          id,
          params,
          query: url.searchParams,
          path: `${API_BASE}${rawPath}`,
        });
        return;
      }
      throw notFound('not found');
    } catch (e) {
      const err = toHarborError(e);
      if (err.status >= 500) this.sim.log(`${req.method} ${path}: ${err.message}`);
      if (!req.complete) req.resume();
      sendError(res, err, head);
    }
  }
}
