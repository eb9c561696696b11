// Registry bearer tokens (GET /service/token): HMAC-signed, carrying what the caller may do (grantScope).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Identity } from './rbac';
import { can, displayName, isSysadmin } from './rbac';
import type { State } from './store';

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}
export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  access: TokenAccess[];
}
export const TOKEN_TTL_SECONDS = 1800;

const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export function signToken(key: string, claims: TokenClaims): string {
  const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64u(JSON.stringify(claims));
  const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function verifyToken(key: string, token: string): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [head, body, sig] = parts as [string, string, string];
  const want = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  if (want.length !== sig.length || !timingSafeEqual(Buffer.from(want), Buffer.from(sig))) return null;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    if (claims.exp * 1000 < Date.now()) return null;
    return claims;
  } catch {
    return null;
  }
}

/**
 * `repository:P/R:<anything>` → every repository action the caller holds on the project, whatever was asked
 * (Harbor v2.15.2 core/service/token repositoryFilter replaces the requested list). So a pull-only request by a
 * push-capable account yields a push token, which is what lets its cosign pass the content-trust check (§6
 * bypass (c)) even for `cosign verify-attestation`. Unknown scope types are dropped.
 */
export function grantScope(state: State, id: Identity, scope: string): TokenAccess | null {
  const m = /^repository:([^:]+):(.*)$/.exec(scope);
  if (!m) {
    if (scope === 'registry:catalog:*' && isSysadmin(id))
      return { type: 'registry', name: 'catalog', actions: ['*'] };
    return null;
  }
  const name = m[1] ?? '';
  const projectName = name.split('/')[0] ?? '';
  const project = state.projects.find((p) => p.name === projectName) ?? null;
  if (!project) return { type: 'repository', name, actions: [] };
  const actions = (['pull', 'push', 'delete'] as const).filter((a) => {
    if (a === 'pull') return can(state, id, project, 'repository:pull');
    if (a === 'push') return can(state, id, project, 'repository:push');
    return can(state, id, project, 'artifact:delete');
  });
  return { type: 'repository', name, actions };
}

export function issueToken(
  state: State,
  id: Identity,
  scopes: string[],
): { token: string; access_token: string; expires_in: number; issued_at: string } {
  const iat = Math.floor(Date.now() / 1000);
  const access = scopes.map((s) => grantScope(state, id, s)).filter((a): a is TokenAccess => a !== null);
  const token = signToken(state.tokenKey, {
    sub: displayName(id),
    jti: randomUUID(),
    iat,
    exp: iat + TOKEN_TTL_SECONDS,
    access,
  });
  return {
    token,
    access_token: token,
    expires_in: TOKEN_TTL_SECONDS,
    issued_at: new Date(iat * 1000).toISOString(),
  };
}

export function tokenAllows(claims: TokenClaims, repo: string, action: string): boolean {
  return claims.access.some(
    (a) =>
      a.type === 'repository' && a.name === repo && (a.actions.includes(action) || a.actions.includes('*')),
  );
}
