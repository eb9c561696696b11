/**
 * cosign v3.1.2 in the legacy `.sig` tag format with no transparency log (toolchain.md §A): sign with
 * `--use-signing-config=false --tlog-upload=false --new-bundle-format=false`, verify with
 * `--insecure-ignore-tlog`. Registry credentials reach cosign through a private DOCKER_CONFIG (0600
 * config.json), the key password through COSIGN_PASSWORD, never argv. signImage verifies first and signs
 * only what no valid signature by our key covers, so a retry never adds a second signature.
 */
import { FailureType } from '../domain/failures.js';
import type { ArtifactRef, SignResult, VerifyResult } from './contract.js';
import { imageRef, type Deps } from './deps.js';
import { mapFailures, nonRetryable, retryable } from './failures.js';
import { READ } from './harbor.js';
import { currentContext, runProcess, ToolError, type RunResult } from './process.js';
import { authFileContent, withPrivateDir, type PrivateDir } from './secrets.js';
import { classifyToolOutput, policyMessage, toolOutputSays } from './tool-output.js';
import { checkArtifact } from './validate.js';

export type SignatureState = 'valid' | 'none' | 'invalid';
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export function signArgs(
  ref: string,
  o: { keyFile: string; recursive: boolean; plainHttp: boolean },
): string[] {
  return [
    'sign',
    '--key',
    o.keyFile,
    '--use-signing-config=false',
    '--tlog-upload=false',
    '--new-bundle-format=false',
    '--yes',
    ...(o.plainHttp ? ['--allow-http-registry'] : []),
    ...(o.recursive ? ['--recursive'] : []),
    ref,
  ];
}

/** One or more references: cosign verifies them all in one process, failing if any fails. */
export function verifyArgs(ref: string | string[], o: { pubFile: string; plainHttp: boolean }): string[] {
  return [
    'verify',
    '--key',
    o.pubFile,
    '--insecure-ignore-tlog',
    '-o',
    'text',
    ...(o.plainHttp ? ['--allow-http-registry'] : []),
    ...(Array.isArray(ref) ? ref : [ref]),
  ];
}

/**
 * cosign reads the image manifest through /v2, so the project's pull policy applies to it (only the cosign
 * presence check is bypassed for cosign). A scan still Pending/Running is worth waiting for; any other
 * block is the quarantine itself.
 */
export function policyBlock(stderr: string): { message: string; transient: boolean } | undefined {
  const kind = classifyToolOutput('cosign', stderr)?.kind;
  if (kind !== 'policy-violation' && kind !== 'scan-pending') return undefined;
  return { message: policyMessage(stderr), transient: kind === 'scan-pending' };
}

/** Throws the failure for a cosign run that hit the destination's pull policy. */
function throwIfBlocked(r: RunResult, what: string): void {
  const b = policyBlock(r.stderr);
  if (!b) return;
  if (b.transient) throw retryable(`${what}: waiting for the vulnerability scan to finish: ${b.message}`);
  throw nonRetryable(FailureType.Quarantined, `${what}: blocked by the project's policy: ${b.message}`);
}

/** cosign's verify exit codes (toolchain.md §A4): 10 no signatures, 12 wrong key/tampered, 1 anything else. */
export function classifyVerify(r: RunResult): SignatureState | 'notfound' | 'error' {
  if (r.timedOut) return 'error';
  if (r.code === 0) return 'valid';
  if (r.code === 10) return 'none';
  if (r.code === 12 || r.code === 13) return 'invalid';
  if (r.code === 11) return 'notfound';
  return 'error';
}

export function cosignActivities(d: Deps) {
  const { cfg, secrets } = d;

  /** A private dir with DOCKER_CONFIG/config.json and the key files; environment for cosign. */
  async function prepare(
    dir: PrivateDir,
  ): Promise<{ env: Record<string, string>; keyFile: string; pubFile: string }> {
    await dir.write(
      'config.json',
      authFileContent(cfg.registryHost, cfg.harborUsername, secrets.harborPassword),
    );
    const keyFile =
      'file' in secrets.cosignKey
        ? secrets.cosignKey.file
        : await dir.write('cosign.key', secrets.cosignKey.pem);
    const pubFile =
      'file' in secrets.cosignPublicKey
        ? secrets.cosignPublicKey.file
        : await dir.write('cosign.pub', secrets.cosignPublicKey.pem);
    const env = {
      HOME: dir.path, // no ~/.docker/config.json or sigstore cache of the worker's user is consulted
      DOCKER_CONFIG: dir.path,
      COSIGN_PASSWORD: secrets.cosignPassword,
      TUF_ROOT: `${dir.path}/tuf`,
    };
    return { env, keyFile, pubFile };
  }

  async function run(
    dir: PrivateDir,
    args: string[],
    label: string,
    env: Record<string, string>,
  ): Promise<RunResult> {
    return runProcess({
      bin: cfg.cosignBin,
      args,
      env,
      cwd: dir.path,
      timeoutMs: cfg.toolTimeoutMs,
      redactor: d.redactor,
      label,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    });
  }

  async function state(
    dir: PrivateDir,
    env: Record<string, string>,
    pubFile: string,
    a: ArtifactRef,
  ): Promise<SignatureState> {
    const ref = imageRef(cfg, a.project, a.repository, a.digest);
    const r = await run(dir, verifyArgs(ref, { pubFile, plainHttp: cfg.plainHttp }), 'cosign verify', env);
    const c = classifyVerify(r);
    if (c === 'notfound')
      throw nonRetryable(FailureType.ImageNotFound, `cosign verify ${ref}: image not found`);
    if (c === 'error') {
      throwIfBlocked(r, `cosign verify ${ref}`);
      throw retryable(new ToolError('cosign', r, `cosign verify ${ref}`).message);
    }
    return c;
  }

  /** Verify one artifact; SignatureInvalid unless a valid signature by the configured key exists. */
  async function verifySignature(input: { artifact: ArtifactRef }): Promise<VerifyResult> {
    checkArtifact(input.artifact);
    const a = input.artifact;
    const s = await withPrivateDir(async (dir) => {
      const p = await prepare(dir);
      const first = await state(dir, p.env, p.pubFile, a);
      // A verdict that fails the whole promotion is confirmed once: under registry 5xx, cosign has been
      // seen to report "no signatures" for a signature that verifies a moment later.
      return first === 'valid' ? first : state(dir, p.env, p.pubFile, a);
    });
    if (s !== 'valid') {
      throw nonRetryable(
        FailureType.SignatureInvalid,
        `${a.project}/${a.repository}@${a.digest}: ${s === 'none' ? 'no cosign signature found' : 'no signature verifies with the configured public key (wrong key or tampered)'}`,
      );
    }
    return { verified: true };
  }

  async function signImage(input: { artifact: ArtifactRef }): Promise<SignResult> {
    checkArtifact(input.artifact);
    const a = input.artifact;
    const name = `${a.project}/${a.repository}@${a.digest}`;
    const art = await mapFailures(
      { action: `sign ${name}`, need: READ(a.project), subject: `artifact ${name}` },
      cfg.harborUsername,
      () =>
        d.api.getArtifact(
          a.project,
          a.repository,
          a.digest,
          { withTag: false },
          currentContext()?.cancellationSignal,
        ),
    );
    const isIndex = INDEX_TYPES.includes(art.manifest_media_type ?? '');
    const children = isIndex
      ? (art.references ?? []).map((r) => r.child_digest).filter((x): x is string => !!x)
      : [];
    const signed = await withPrivateDir(async (dir) => {
      const p = await prepare(dir);
      const targets = [a.digest, ...children];
      const unsigned: string[] = [];
      for (const digest of targets)
        if ((await state(dir, p.env, p.pubFile, { ...a, digest })) !== 'valid') unsigned.push(digest);
      if (unsigned.length === 0) return false;
      // Nothing signed yet: one recursive sign. Partly signed (a crash mid-way): sign only the gaps.
      const batches =
        unsigned.length === targets.length
          ? [{ digest: a.digest, recursive: isIndex }]
          : unsigned.map((digest) => ({ digest, recursive: false }));
      for (const b of batches) {
        const ref = imageRef(cfg, a.project, a.repository, b.digest);
        const r = await run(
          dir,
          signArgs(ref, { keyFile: p.keyFile, recursive: b.recursive, plainHttp: cfg.plainHttp }),
          'cosign sign',
          p.env,
        );
        if (r.code !== 0) {
          const err = new ToolError('cosign', r, `cosign sign ${ref}`);
          throwIfBlocked(r, `cosign sign ${ref}`);
          // What cosign prints for a refused push (tool-output.ts), never a bare 401/403: digests contain those.
          if (toolOutputSays('cosign', 'denied', r.stderr)) {
            throw nonRetryable(
              FailureType.PermissionDenied,
              `${err.message}\nThe Harbor account '${cfg.harborUsername}' needs the Developer role (robot permission repository:push) on project '${a.project}' to push signatures.`,
            );
          }
          throw retryable(err.message);
        }
      }
      return true;
    });
    const sig = await mapFailures(
      { action: `list signatures of ${name}`, need: READ(a.project) },
      cfg.harborUsername,
      () => d.api.listAccessories(a.project, a.repository, a.digest, 'signature.cosign'),
    );
    return { signed, signatureDigest: sig[0]?.digest };
  }

  /**
   * The final proof verifies every project at once: one cosign process instead of one per project (cosign's
   * start-up dominates on a busy worker). Only when that fails is each artifact verified alone, so the
   * failure names the project.
   */
  async function verifySignatures(artifacts: ArtifactRef[]): Promise<void> {
    artifacts.forEach(checkArtifact);
    const all = await withPrivateDir(async (dir) => {
      const p = await prepare(dir);
      const refs = artifacts.map((a) => imageRef(cfg, a.project, a.repository, a.digest));
      const r = await run(
        dir,
        verifyArgs(refs, { pubFile: p.pubFile, plainHttp: cfg.plainHttp }),
        'cosign verify',
        p.env,
      );
      return classifyVerify(r) === 'valid';
    });
    if (all) return;
    for (const artifact of artifacts) await verifySignature({ artifact });
  }

  return { signImage, verifySignature, verifySignatures };
}
