/**
 * The Harbor under test, from the environment: HARBOR_URL, HARBOR_ADMIN_USERNAME, HARBOR_ADMIN_PASSWORD
 * (a system admin: the suite creates and deletes its own projects and robots). HARBOR_CONFORMANCE_SCANNER=none
 * skips what needs a scanner; HARBOR_CONFORMANCE_SCAN_TIMEOUT_S bounds each wait for a scan (default 300).
 */
import { z } from 'zod';
import { HarborConnection, type RecordedRequest } from '../../src/harbor/index';

export interface Creds {
  username: string;
  password: string;
}

export interface ConformanceTarget {
  url: string;
  /** host[:port] as registry clients name it */
  host: string;
  admin: Creds;
  scanner: boolean;
  scanTimeoutMs: number;
  /** Harbor's `harbor_version` (systeminfo) */
  version: string;
  /** harbor-sim (version ends in `-sim`): cleanup failures are reported, not fatal (see fixture.ts). */
  isSim: boolean;
}

const Env = z.object({
  HARBOR_URL: z.url({ error: 'HARBOR_URL must be the Harbor base URL, e.g. https://harbor.example.com' }),
  HARBOR_ADMIN_USERNAME: z.string({ error: 'set HARBOR_ADMIN_USERNAME to a Harbor system admin' }).min(1),
  HARBOR_ADMIN_PASSWORD: z.string({ error: "set HARBOR_ADMIN_PASSWORD to that admin's password" }).min(1),
  HARBOR_CONFORMANCE_SCANNER: z
    .enum(['none', 'default'], { error: 'HARBOR_CONFORMANCE_SCANNER is "none" or unset' })
    .default('default'),
  HARBOR_CONFORMANCE_SCAN_TIMEOUT_S: z.coerce
    .number({ error: 'HARBOR_CONFORMANCE_SCAN_TIMEOUT_S must be a number of seconds' })
    .positive()
    .default(300),
});

/** Reads and checks the environment; throws naming the variable and what to set. */
export function envTarget(
  env: NodeJS.ProcessEnv = process.env,
): Omit<ConformanceTarget, 'version' | 'isSim'> {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`conformance suite: ${String(i.path[0])}: ${i.message}`);
  }
  const e = parsed.data;
  const url = e.HARBOR_URL.replace(/\/+$/, '');
  return {
    url,
    host: new URL(url).host,
    admin: { username: e.HARBOR_ADMIN_USERNAME, password: e.HARBOR_ADMIN_PASSWORD },
    scanner: e.HARBOR_CONFORMANCE_SCANNER !== 'none',
    scanTimeoutMs: e.HARBOR_CONFORMANCE_SCAN_TIMEOUT_S * 1000,
  };
}

const SystemInfo = z.looseObject({ harbor_version: z.string() });

export async function resolveTarget(): Promise<ConformanceTarget> {
  const base = envTarget();
  const conn = new HarborConnection({ baseUrl: base.url, ...base.admin, retries: 1 });
  try {
    const res = await conn.request({ method: 'GET', template: '/systeminfo' });
    const info = SystemInfo.parse(JSON.parse(res.body));
    return { ...base, version: info.harbor_version, isSim: info.harbor_version.endsWith('-sim') };
  } finally {
    await conn.close();
  }
}

/** A client connection as `creds`, recording every request it sends into `log`. */
export function connect(t: ConformanceTarget, creds: Creds, log: RecordedRequest[]): HarborConnection {
  return new HarborConnection({
    baseUrl: t.url,
    ...creds,
    retries: 2,
    onRequest: (r) => log.push(r),
  });
}
