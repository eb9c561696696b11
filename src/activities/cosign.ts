/**
 * cosign v3.1.2 signs, in the legacy `.sig` tag format with no transparency log (toolchain.md §A): sign with
 * `--use-signing-config=false --tlog-upload=false --new-bundle-format=false`. Signatures are checked in the
 * worker (signature.ts over the Harbor connection), not by `cosign verify`: no process per check. verifyArgs
 * and classifyVerify remain for the differential test that runs the CLI next to the in-process check.
 * Registry credentials reach cosign through a private DOCKER_CONFIG (0600 config.json); the key is the
 * worker's session copy (session-key.ts), its password in COSIGN_PASSWORD, never argv. signImage checks
 * first and signs only what no valid signature by our key covers, so a retry never adds a second signature.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FailureType } from '../domain/failures.js';
import { HarborHttpError } from '../harbor/errors.js';
import type { ArtifactRef, SignResult, VerifyResult } from './contract.js';
import { imageRef, type Deps } from './deps.js';
import { mapFailures, nonRetryable, retryable } from './failures.js';
import { READ } from './harbor.js';
import { currentContext, runProcess, ToolError, type RunResult } from './process.js';
import { authFileContent, withPrivateDir, type PrivateDir } from './secrets.js';
import { SessionKeyError } from './session-key.js';
import { classifyToolOutput, policyMessage, toolOutputSays } from './tool-output.js';
import {
  parsePublicKey,
  parseSignatureManifest,
  signatureLayers,
  signatureTag,
  verifySignatureManifest,
  type SignatureManifest,
} from './signature.js';
import { checkArtifact } from './validate.js';

export type SignatureState = 'valid' | 'none' | 'invalid';
/** Harbor's 412 message for a project that requires a cosign signature, when the artifact has none. */
const COSIGN_PRESENCE_BLOCK = /not signed (by|in) cosign/i;
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
 * cosign reads the image manifest through /v2. Harbor lets a push-token client with a cosign User-Agent
 * through its pull policies (SkipPolicyChecking); an account without push meets the project's policy. A scan still Pending/Running is worth waiting for; any other
 * block is the quarantine itself.
 */
export function policyBlock(stderr: string): { message: string; transient: boolean } | undefined {
  const kind = classifyToolOutput('cosign', stderr)?.kind;
  if (kind !== 'policy-violation' && kind !== 'scan-pending') return undefined;
  return { message: policyMessage(stderr), transient: kind === 'scan-pending' };
}

/** Throws the failure for a cosign run that hit the destination's pull policy. */
export function throwIfBlocked(r: RunResult, what: string): void {
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

/** What every cosign activity needs: a private DOCKER_CONFIG with the key files, a runner, the public key. */
export function cosignTools(d: Deps) {
  const { cfg, secrets } = d;

  /** The session key's PEM; a key the operator's password cannot open fails the activity for good. */
  async function sessionKeyPem(): Promise<string> {
    try {
      return await d.signingKey.pem();
    } catch (err) {
      if (err instanceof SessionKeyError) throw nonRetryable(FailureType.InvalidInput, err.message);
      throw err;
    }
  }

  /** A private dir with DOCKER_CONFIG/config.json and the key files; environment for cosign. */
  async function prepare(
    dir: PrivateDir,
  ): Promise<{ env: Record<string, string>; keyFile: string; pubFile: string }> {
    await dir.write(
      'config.json',
      authFileContent(cfg.registryHost, cfg.harborUsername, secrets.harborPassword),
    );
    // The session copy (session-key.ts): cosign derives its cheap scrypt key, not the operator's.
    const keyFile = await dir.write('cosign.key', await sessionKeyPem());
    const pubFile =
      'file' in secrets.cosignPublicKey
        ? secrets.cosignPublicKey.file
        : await dir.write('cosign.pub', secrets.cosignPublicKey.pem);
    const env = {
      HOME: dir.path, // no ~/.docker/config.json or sigstore cache of the worker's user is consulted
      DOCKER_CONFIG: dir.path,
      COSIGN_PASSWORD: d.signingKey.password,
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

  /** The promoter's public key, read per check so a rotated key file takes effect without a restart. */
  async function publicKey(): Promise<KeyObject> {
    const k = secrets.cosignPublicKey;
    const source = 'file' in k ? `COSIGN_PUBLIC_KEY_FILE ${k.file}` : 'COSIGN_PUBLIC_KEY';
    try {
      const pem =
        'file' in k
          ? await readFile(k.file, 'utf8').catch((e: Error) => {
              throw new Error(
                `${source}: cannot read the public key file (${e.message}); point it at the .pub file`,
              );
            })
          : k.pem;
      return parsePublicKey(pem, source);
    } catch (err) {
      throw nonRetryable(FailureType.InvalidInput, (err as Error).message);
    }
  }

  return { prepare, run, publicKey };
}

export function cosignActivities(d: Deps) {
  const { cfg } = d;
  const { prepare, run, publicKey } = cosignTools(d);

  /**
   * In-process `cosign verify --key … --insecure-ignore-tlog` (signature.ts): the image manifest must be
   * served (404 → ImageNotFound, 412 → the pull policy, as cosign met it), then the `.sig` manifest and its
   * simple-signing payloads are read on the worker's own Harbor connection. No process is started.
   */
  async function state(a: ArtifactRef, key: KeyObject): Promise<SignatureState> {
    const name = `${a.project}/${a.repository}@${a.digest}`;
    const signal = currentContext()?.cancellationSignal;
    const fc = { action: `verify signature of ${name}`, need: READ(a.project), subject: `artifact ${name}` };
    return mapFailures(fc, cfg.harborUsername, async () => {
      // The image's manifest and the `.sig` manifest are read side by side: one round trip less per check.
      const sigManifest = d.registry.getManifest(a.project, a.repository, signatureTag(a.digest), signal);
      sigManifest.catch(() => undefined); // awaited below unless the image read fails first
      try {
        await d.registry.headManifest(a.project, a.repository, a.digest, signal);
      } catch (err) {
        if (err instanceof HarborHttpError && err.status === 412) {
          // "Require cosign signature" (harbor-api.md §6) blocks us, not cosign (push rights + cosign
          // User-Agent bypass it); it fires only when no signature.cosign accessory exists: no signature.
          if (COSIGN_PRESENCE_BLOCK.test(err.harborMessage ?? '')) return 'none';
          const b = policyBlock(err.harborMessage ?? err.message);
          if (b?.transient)
            throw retryable(`${fc.action}: waiting for the vulnerability scan to finish: ${b.message}`);
        }
        throw err;
      }
      const m = await sigManifest;
      let manifest: SignatureManifest | undefined;
      if (m) {
        try {
          manifest = parseSignatureManifest(m.bytes.toString('utf8'));
        } catch {
          return 'invalid'; // cosign cannot read it either: no signature of ours verifies
        }
      }
      const payloads = new Map<string, Buffer>();
      for (const l of manifest ? signatureLayers(manifest) : [])
        if (!payloads.has(l.digest))
          payloads.set(l.digest, await d.registry.getBlob(a.project, a.repository, l.digest, signal));
      return verifySignatureManifest(manifest, payloads, key, a.digest).state;
    });
  }

  /** Verify one artifact; SignatureInvalid unless a valid signature by the configured key exists. */
  async function verifySignature(input: { artifact: ArtifactRef }): Promise<VerifyResult> {
    checkArtifact(input.artifact);
    const a = input.artifact;
    const key = await publicKey();
    const first = await state(a, key);
    // A verdict that fails the whole promotion is confirmed once (a signature pushed a moment ago by a
    // retried sign may still be settling behind a registry cache); a second read costs milliseconds.
    const s = first === 'valid' ? first : await state(a, key);
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
    const key = await publicKey();
    const targets = [a.digest, ...children];
    const unsigned: string[] = [];
    for (const digest of targets) if ((await state({ ...a, digest }, key)) !== 'valid') unsigned.push(digest);
    const signed =
      unsigned.length > 0 &&
      (await withPrivateDir(async (dir) => {
        const p = await prepare(dir);
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
      }));
    const sig = await mapFailures(
      { action: `list signatures of ${name}`, need: READ(a.project) },
      cfg.harborUsername,
      () => d.api.listAccessories(a.project, a.repository, a.digest, 'signature.cosign'),
    );
    return { signed, signatureDigest: sig[0]?.digest };
  }

  /**
   * The final proof: every project's signature, checked in-process one after another (a few requests each,
   * no cosign start-up), so a failure names its project.
   */
  async function verifySignatures(artifacts: ArtifactRef[]): Promise<void> {
    artifacts.forEach(checkArtifact);
    for (const artifact of artifacts) await verifySignature({ artifact });
  }

  return { signImage, verifySignature, verifySignatures };
}
