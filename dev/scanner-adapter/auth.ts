// Registry authentication as a docker client does it: read the /v2/ challenge, trade the credential Harbor
// sent for a bearer token at the challenge's realm, fall back to sending the credential as it is.
//
// Why not just send Harbor's Basic credential: on real Harbor a plain pull from a project with prevent_vul is
// refused (412) for every caller, while a token issued to the scan job's robot carries the `scanner-pull`
// action that makes Harbor skip the vulnerability check (core/service/token/creator.go).
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://h/service/token",service="harbor-registry",scope="..."` → scheme and params. */
export function parseChallenge(header: string | string[] | undefined): Challenge | null {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return null;
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(h);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (const p of (m[2] ?? '').matchAll(re)) {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

// Harbor v2.15.2 answers {"token": "<jwt>", "access_token": "", ...}: an empty field counts as absent
const TokenAnswer = z
  .object({ token: z.string().optional(), access_token: z.string().optional() })
  .refine((t) => t.token || t.access_token, 'neither token nor access_token in the answer');

export class RegistryAuthError extends Error {}

/**
 * GET realm?service=…&scope=… with the credential Harbor sent. Tries the challenge's realm first, then
 * `<registry>/service/token` when the realm is not reachable from here (Harbor's external URL may differ
 * from the internal one it gave the scanner).
 */
export async function fetchToken(opts: {
  registry: string;
  challenge: Challenge;
  scope: string;
  authorization: string | undefined;
  dispatcher?: Dispatcher;
}): Promise<string> {
  const { realm, service } = opts.challenge.params;
  const candidates = [...new Set([realm, `${opts.registry}/service/token`].filter((x): x is string => !!x))];
  let lastNetworkError: unknown;
  for (const base of candidates) {
    let url: URL;
    try {
      url = new URL(base, opts.registry);
    } catch {
      continue;
    }
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', opts.scope);
    let res;
    try {
      res = await request(url, {
        headers: opts.authorization ? { authorization: opts.authorization } : {},
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
    } catch (e) {
      lastNetworkError = e;
      continue;
    }
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new RegistryAuthError(
        `token service ${url.origin}${url.pathname} answered ${res.statusCode} for scope ${opts.scope}: ` +
          `${text.slice(0, 200).trim()} (is the credential in registry.authorization valid and allowed to pull?)`,
      );
    let parsed;
    try {
      parsed = TokenAnswer.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (!parsed?.success)
      throw new RegistryAuthError(`token service ${url.origin}${url.pathname}: answer is not a token`);
    return (parsed.data.token || parsed.data.access_token)!;
  }
  const why = lastNetworkError instanceof Error ? lastNetworkError.message : String(lastNetworkError);
  throw new RegistryAuthError(`token service not reachable (${candidates.join(', ')}): ${why}`);
}
