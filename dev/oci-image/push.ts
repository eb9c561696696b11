// Push an OCI layout with the real skopeo. Credentials go into a 0600 authfile in a private temp dir,
// never on argv (toolchain.md B4).
import { binaryPath } from '../../scripts/tools';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pinned skopeo from the per-user tool cache (scripts/tools.ts), unless SKOPEO_BIN says otherwise. */
export const DEFAULT_SKOPEO_BIN = binaryPath('skopeo');

export interface PushOptions {
  layoutDir: string;
  /** tag inside the layout (index.json ref.name) */
  tag: string;
  /** destination without scheme: 127.0.0.1:8080/platform-dev/myservice:1.0.0 */
  dest: string;
  username: string;
  password: string;
  skopeoBin?: string;
  timeoutMs?: number;
  /** Push every platform of an image index (`--multi-arch all`), not only the host's. */
  all?: boolean;
}

/** Write an authfile for `host` into a fresh private directory; returns its path and a cleanup. */
export function privateAuthfile(
  host: string,
  username: string,
  password: string,
): { file: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'oci-auth-')); // mkdtemp creates 0700
  const file = join(dir, 'auth.json');
  writeFileSync(
    file,
    JSON.stringify({
      auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
    }),
    { mode: 0o600 },
  );
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** skopeo copy oci:DIR:tag docker://dest; resolves to the pushed manifest digest. */
export async function pushImage(o: PushOptions): Promise<string> {
  const host = o.dest.split('/')[0] ?? '';
  const auth = privateAuthfile(host, o.username, o.password);
  const digestFile = join(auth.dir, 'digest');
  try {
    const args = [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-authfile',
      auth.file,
      '--digestfile',
      digestFile,
      ...(o.all ? ['--multi-arch', 'all'] : []),
      `oci:${o.layoutDir}:${o.tag}`,
      `docker://${o.dest}`,
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(o.skopeoBin ?? process.env.SKOPEO_BIN ?? DEFAULT_SKOPEO_BIN, args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: auth.dir, TMPDIR: tmpdir() },
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs ?? 600_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`skopeo copy to ${o.dest} failed (exit ${code}): ${err.trim()}`));
      });
    });
    return readFileSync(digestFile, 'utf8').trim();
  } finally {
    auth.cleanup();
  }
}
