// Harbor's /v2 auth: Basic or bearer token; every failure is a 401 with a Bearer or Basic challenge.
import type { IncomingMessage } from 'node:http';
import { identifyRequest, parseBasic } from './auth';
import { HarborError } from './errors';
import { projectByName } from './model';
import { can, isAuthenticated, isSysadmin, type Identity } from './rbac';
import type { State } from './store';
import { tokenAllows, verifyToken, type TokenClaims } from './token';

export interface RegistryCaller {
  hadAuthHeader: boolean;
  identity: Identity;
  token: TokenClaims | null;
}

export async function registryCaller(s: State, req: IncomingMessage): Promise<RegistryCaller> {
  const h = req.headers.authorization;
  if (h && /^bearer /i.test(h))
    return {
      hadAuthHeader: true,
      identity: { kind: 'anonymous' },
      token: verifyToken(s.tokenKey, h.slice(7).trim()),
    };
  const identity = parseBasic(h) ? await identifyRequest(s, req) : { kind: 'anonymous' as const };
  return { hadAuthHeader: Boolean(h), identity, token: null };
}

export function isAuthed(c: RegistryCaller): boolean {
  return c.token !== null || isAuthenticated(c.identity);
}

export function mayDo(
  s: State,
  c: RegistryCaller,
  repo: string,
  action: 'pull' | 'push' | 'delete',
): boolean {
  if (c.token)
    return tokenAllows(c.token, repo, action) || (action === 'delete' && tokenAllows(c.token, repo, '*'));
  // anonymous GET/HEAD of a repository always gets the challenge, even in a public project
  if (!isAuthenticated(c.identity)) return false;
  const project = projectByName(s, repo.split('/')[0] ?? '');
  if (!project) return false;
  const perm =
    action === 'pull' ? 'repository:pull' : action === 'push' ? 'repository:push' : 'artifact:delete';
  return can(s, c.identity, project, perm);
}

export function mayCatalog(c: RegistryCaller): boolean {
  return (
    isSysadmin(c.identity) ||
    (c.token?.access.some((a) => a.type === 'registry' && a.name === 'catalog') ?? false)
  );
}

/** 401 UNAUTHORIZED with the challenge Harbor sends for this request. */
export function challenge(req: IncomingMessage, c: RegistryCaller, scope: string | null): HarborError {
  const host = req.headers.host ?? '127.0.0.1';
  const www =
    c.hadAuthHeader || scope === null
      ? c.hadAuthHeader
        ? 'Basic realm="harbor"'
        : `Bearer realm="http://${host}/service/token",service="harbor-registry"`
      : `Bearer realm="http://${host}/service/token",service="harbor-registry",scope="${scope}"`;
  return new HarborError('UNAUTHORIZED', 'unauthorized', 401, {
    'Www-Authenticate': www,
    'Docker-Distribution-Api-Version': 'registry/2.0',
  });
}
