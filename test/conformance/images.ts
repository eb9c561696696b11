/**
 * Test images for the suite, built without Docker by dev/oci-image and pushed with the pinned skopeo;
 * cosign signatures made by the pinned cosign with a throw-away key pair. Credentials reach the tools
 * through private 0600 files, never argv.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from '../../scripts/tools';
import { buildImage, buildIndex, type ApkPkg } from '../../dev/oci-image/build';
import { pushImage } from '../../dev/oci-image/push';
import type { ConformanceTarget, Creds } from './target';

/** openssl 3.1.0-r0 has one High and one Medium finding in the advisory data harbor-sim and the adapter use. */
export const VULNERABLE: ApkPkg[] = [
  { name: 'openssl', version: '3.1.0-r0' },
  { name: 'busybox', version: '1.36.1-r20' },
];
export const CLEAN: ApkPkg[] = [
  { name: 'busybox', version: '1.36.1-r20' },
  { name: 'openssl', version: '3.3.2-r1' },
];

const work = mkdtempSync(join(tmpdir(), 'harbor-conformance-'));
export const removeWorkDir = (): void => rmSync(work, { recursive: true, force: true });

function scratch(prefix: string): string {
  return mkdtempSync(join(work, prefix));
}

/** Build and push a unique single-platform image; returns its digest. */
export async function pushImageTo(
  t: ConformanceTarget,
  creds: Creds,
  repo: string,
  tag: string,
  packages: ApkPkg[],
): Promise<string> {
  const dir = scratch('img-');
  try {
    await buildImage({ out: dir, tag, packages, label: `${repo}:${tag}:${process.hrtime.bigint()}` });
    return await pushImage({ layoutDir: dir, tag, dest: `${t.host}/${repo}:${tag}`, ...creds });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Build and push a two-platform (amd64 + arm64) image index; returns the index and child digests. */
export async function pushIndexTo(
  t: ConformanceTarget,
  creds: Creds,
  repo: string,
  tag: string,
): Promise<{ digest: string; children: string[] }> {
  const dir = scratch('idx-');
  try {
    const built = await buildIndex({
      out: dir,
      tag,
      packages: CLEAN,
      architectures: ['amd64', 'arm64'],
      label: `${repo}:${tag}:${process.hrtime.bigint()}`,
    });
    const digest = await pushImage({
      layoutDir: dir,
      tag,
      dest: `${t.host}/${repo}:${tag}`,
      all: true,
      ...creds,
    });
    if (digest !== built.indexDigest)
      throw new Error(`pushed index digest ${digest}, built ${built.indexDigest}`);
    return { digest, children: built.children.map((c) => c.digest) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Run {
  code: number;
  stderr: string;
}

function run(bin: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => c.kill('SIGTERM'), 120_000);
    c.on('error', reject);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr });
    });
  });
}

/** cosign in the legacy `.sig` format without a transparency log, as the promotion itself signs. */
export class Cosign {
  private readonly bin = process.env.COSIGN_BIN || binaryPath('cosign');
  private readonly dir = scratch('cosign-');
  private readonly password = 'conformance-key-password';
  private ready?: Promise<void>;

  constructor(private readonly t: ConformanceTarget) {}

  private env(creds: Creds): Record<string, string> {
    const home = mkdtempSync(join(this.dir, 'home-'));
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({
        auths: {
          [this.t.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') },
        },
      }),
      { mode: 0o600 },
    );
    return { HOME: home, DOCKER_CONFIG: home, TUF_ROOT: join(home, 'tuf'), COSIGN_PASSWORD: this.password };
  }

  private keys(): Promise<void> {
    this.ready ??= run(this.bin, ['generate-key-pair', '--output-key-prefix', join(this.dir, 'k')], {
      COSIGN_PASSWORD: this.password,
      HOME: this.dir,
    }).then((r) => {
      if (r.code !== 0) throw new Error(`cosign generate-key-pair failed: ${r.stderr}`);
    });
    return this.ready;
  }

  private get http(): string[] {
    return this.t.url.startsWith('http://') ? ['--allow-http-registry'] : [];
  }

  async sign(creds: Creds, repo: string, digest: string): Promise<void> {
    await this.keys();
    const r = await run(
      this.bin,
      [
        'sign',
        '--key',
        join(this.dir, 'k.key'),
        '--use-signing-config=false',
        '--tlog-upload=false',
        '--new-bundle-format=false',
        '--yes',
        ...this.http,
        `${this.t.host}/${repo}@${digest}`,
      ],
      this.env(creds),
    );
    if (r.code !== 0) throw new Error(`cosign sign ${repo}@${digest} failed: ${r.stderr}`);
  }

  /**
   * `cosign attest` with the promoter's offline flags (as sign). `format: 'legacy'` adds
   * `--new-bundle-format=false`: a DSSE envelope under the tag `sha256-<hex>.att`. `'bundle'` keeps cosign v3's
   * default: a Sigstore bundle pushed as an OCI 1.1 referrer (`subject` = the image).
   */
  async attest(
    creds: Creds,
    repo: string,
    digest: string,
    a: { type: string; predicate: object; format: 'legacy' | 'bundle'; replace?: boolean },
  ): Promise<void> {
    await this.keys();
    const predicate = join(mkdtempSync(join(this.dir, 'pred-')), 'predicate.json');
    writeFileSync(predicate, JSON.stringify(a.predicate));
    const r = await run(
      this.bin,
      [
        'attest',
        '--key',
        join(this.dir, 'k.key'),
        '--use-signing-config=false',
        '--tlog-upload=false',
        ...(a.format === 'legacy' ? ['--new-bundle-format=false'] : []),
        ...(a.replace ? ['--replace'] : []),
        '--type',
        a.type,
        '--predicate',
        predicate,
        '--yes',
        ...this.http,
        `${this.t.host}/${repo}@${digest}`,
      ],
      this.env(creds),
    );
    if (r.code !== 0) throw new Error(`cosign attest (${a.format}) ${repo}@${digest} failed: ${r.stderr}`);
  }

  /** Exit code and stderr of `cosign verify-attestation --type …` with the suite's public key. */
  async verifyAttestation(creds: Creds, repo: string, digest: string, type: string): Promise<Run> {
    await this.keys();
    return run(
      this.bin,
      [
        'verify-attestation',
        '--key',
        join(this.dir, 'k.pub'),
        '--insecure-ignore-tlog',
        '--type',
        type,
        ...this.http,
        `${this.t.host}/${repo}@${digest}`,
      ],
      this.env(creds),
    );
  }

  /** Exit code of `cosign verify` (0 valid, 10 no signature, …; toolchain.md §A4) and its stderr. */
  async verify(creds: Creds, repo: string, digest: string): Promise<Run> {
    await this.keys();
    return run(
      this.bin,
      [
        'verify',
        '--key',
        join(this.dir, 'k.pub'),
        '--insecure-ignore-tlog',
        ...this.http,
        `${this.t.host}/${repo}@${digest}`,
      ],
      this.env(creds),
    );
  }
}
