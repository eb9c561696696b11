// REST routing: paths are the swagger templates themselves, so the contract test can check them against the spec.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HarborError, badRequest, notFound } from './errors';
import type { Family } from './faults';
import type { Identity } from './rbac';
import type { Sim } from './sim';

export interface ApiCtx {
  sim: Sim;
  req: IncomingMessage;
  res: ServerResponse;
  id: Identity;
  params: Record<string, string>;
  query: URLSearchParams;
  /** the request path as Harbor sees it, for Link headers */
  path: string;
}

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** swagger path template under /api/v2.0 */
  path: string;
  /** query parameter names the handler reads (all declared in the spec) */
  query?: string[];
  family?: Family;
  handler: (c: ApiCtx) => Promise<void> | void;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: Compiled[] = [];
  constructor(readonly routes: Route[]) {
    for (const route of routes) {
      const names: string[] = [];
      const src = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, a: string) => {
        names.push(a);
        return '([^/]+)';
      });
      this.compiled.push({ route, re: new RegExp(`^${src}$`), names });
    }
  }

  /**
   * Match a raw path (below /api/v2.0). Like Go's router the path is percent-decoded once before
   * matching; `repository_name` is decoded a second time by the handler (double encoding).
   */
  match(method: string, rawPath: string): { route: Route; params: Record<string, string> } {
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw badRequest('invalid URL escape');
    }
    let methodMismatch = false;
    for (const c of this.compiled) {
      const m = c.re.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = m[i + 1] ?? ''));
      if (params.repository_name !== undefined) {
        try {
          params.repository_name = decodeURIComponent(params.repository_name);
        } catch {
          throw badRequest('invalid repository name');
        }
      }
      return { route: c.route, params };
    }
    if (methodMismatch) throw new HarborError('METHOD_NOT_ALLOWED', `method ${method} is not allowed`);
    throw notFound('not found');
  }
}
