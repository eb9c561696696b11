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
   * Match a raw path (below /api/v2.0). Like go-openapi's router in Harbor core, the ESCAPED path is matched
   * and each parameter is percent-decoded once; the handler decodes `repository_name` a second time. So
   * `team%252Fapp` (double-encoded, as documented) and `team%2Fapp` (single-encoded) both read `team/app`,
   * while a plain `team/app` has one segment too many and is a 404, as on Harbor v2.15.2.
   */
  match(method: string, rawPath: string): { route: Route; params: Record<string, string> } {
    const decode = (v: string, what: string): string => {
      try {
        return decodeURIComponent(v);
      } catch {
        throw badRequest(what);
      }
    };
    decode(rawPath, 'invalid URL escape'); // a malformed escape anywhere is a 400, not a 404
    let methodMismatch = false;
    for (const c of this.compiled) {
      const m = c.re.exec(rawPath);
      if (!m) continue;
      if (c.route.method !== method) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decode(m[i + 1] ?? '', 'invalid URL escape')));
      if (params.repository_name !== undefined)
        params.repository_name = decode(params.repository_name, 'invalid repository name');
      return { route: c.route, params };
    }
    if (methodMismatch) throw new HarborError('METHOD_NOT_ALLOWED', `method ${method} is not allowed`);
    throw notFound('not found');
  }
}
