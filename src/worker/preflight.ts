/**
 * Start-up checks, so a worker that cannot do its job says why at once instead of failing the first
 * promotion: Harbor reachable and the robot's credentials accepted. (Temporal is checked by connecting.)
 */
import { request } from 'undici';

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    /** 2 = configuration is wrong, 3 = a dependency is unreachable. */
    readonly exitCode: 2 | 3,
  ) {
    super(message);
  }
}

function networkReason(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? 'error';
}

export async function checkHarbor(
  harborUrl: string,
  username: string,
  password: string,
  timeoutMs = 10_000,
): Promise<{ version: string }> {
  const base = harborUrl.replace(/\/+$/, '');
  try {
    const ping = await request(`${base}/api/v2.0/ping`, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await ping.body.text();
    if (ping.statusCode >= 500)
      throw new StartupError(
        `Harbor at ${base} answers ${ping.statusCode} on /api/v2.0/ping; check Harbor's health`,
        3,
      );
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(
      `cannot reach Harbor at ${base} (${networkReason(err)}); check HARBOR_URL and that Harbor is up (local stack: \`npm run stack -- up\`)`,
      3,
    );
  }
  // Harbor treats a wrong, expired or disabled robot secret as anonymous rather than failing the request,
  // and /systeminfo shows `harbor_version` only to an authenticated caller: that is the credential check.
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let status: number;
  let body = '';
  try {
    const r = await request(`${base}/api/v2.0/systeminfo`, {
      method: 'GET',
      headers: { authorization: auth, accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    body = await r.body.text();
    status = r.statusCode;
  } catch (err) {
    throw new StartupError(`cannot reach Harbor at ${base} (${networkReason(err)}); check HARBOR_URL`, 3);
  }
  if (status >= 500) throw new StartupError(`Harbor at ${base} answers ${status}; check Harbor's health`, 3);
  let version: string | undefined;
  try {
    version = (JSON.parse(body) as { harbor_version?: string }).harbor_version;
  } catch {
    /* not JSON: not Harbor */
  }
  if (status === 401 || (status === 200 && !version))
    throw new StartupError(
      `Harbor at ${base} rejected HARBOR_USERNAME=${username} (401); check the robot's secret (HARBOR_PASSWORD/HARBOR_PASSWORD_FILE) and that the robot is enabled and not expired`,
      2,
    );
  if (status !== 200)
    throw new StartupError(
      `${base}/api/v2.0/systeminfo answers ${status}; is HARBOR_URL the Harbor base URL (without /api/v2.0)?`,
      2,
    );
  return { version: version! };
}
