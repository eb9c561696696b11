/**
 * copyArtifact: previous project@digest → destination project, signature and SBOM included.
 * - `harbor`: server-side CopyArtifact (POST …/artifacts?from=). No image bytes pass the worker; Harbor
 *   copies accessories deeply, but only on the FIRST copy (harbor-api.md §4). The legacy `.att` tag (not
 *   an accessory) is copied by its tag after the image.
 * - `skopeo`: client-side `copy --all --preserve-digests` with a 0600 authfile, registries.d
 *   `use-sigstore-attachments: true` and an explicit policy (toolchain.md §B); `.att`/`.sbom` tags, which
 *   skopeo never carries, are copied as tags of their own.
 * Both are idempotent (a re-copy only re-adds tags; skopeo deduplicates signatures). Afterwards the
 * destination must hold the pinned digest, and if the source is signed but the destination has no
 * `signature.cosign` accessory (e.g. the digest was there before it was signed), the activity copies the
 * source's `.sig` over (or, failing that, re-signs at the destination).
 */
import { readFile } from 'node:fs/promises';
import { FailureType } from '../domain/failures.js';
import { HarborHttpError } from '../harbor/errors.js';
import type { CopyArtifactInput, CopyResult } from './contract.js';
import type { Deps } from './deps.js';
import { mapFailures, nonRetryable, retryable, type AccessNeed } from './failures.js';
import { READ } from './harbor.js';
import { currentContext, runProcess, ToolError } from './process.js';
import { authFileContent, withPrivateDir } from './secrets.js';
import { classifyToolOutput, toolOutputSays } from './tool-output.js';
import { checkArtifact, checkProject, checkRepository, checkTag } from './validate.js';

const CREATE = (project: string): AccessNeed => ({
  project,
  role: 'Developer',
  permission: 'artifact:create (and repository:push)',
});
const SIGNATURE = 'signature.cosign';

export function skopeoCopyArgs(o: {
  policyFile: string;
  registriesDir: string;
  authFile: string;
  digestFile: string;
  src: string;
  dst: string;
  plainHttp: boolean;
  all: boolean;
}): string[] {
  return [
    '--policy',
    o.policyFile,
    '--registries.d',
    o.registriesDir,
    'copy',
    ...(o.all ? ['--all'] : []),
    '--preserve-digests',
    '--src-authfile',
    o.authFile,
    '--dest-authfile',
    o.authFile,
    ...(o.plainHttp ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : []),
    '--retry-times',
    '3',
    '--digestfile',
    o.digestFile,
    `docker://${o.src}`,
    `docker://${o.dst}`,
  ];
}

/** registries.d entry that makes skopeo read and write cosign `.sig` attachments for this registry. */
export function sigstoreRegistriesYaml(registryHost: string): string {
  return `docker:\n  ${JSON.stringify(registryHost)}:\n    use-sigstore-attachments: true\n`;
}

export function copyActivity(
  d: Deps,
  signImage: (i: { artifact: CopyArtifactInput['from'] }) => Promise<{ signed: boolean }>,
) {
  const { cfg, api } = d;
  const user = cfg.harborUsername;

  return async function copyArtifact(input: CopyArtifactInput): Promise<CopyResult> {
    const { from, to } = input;
    checkArtifact(from);
    checkProject(to.project);
    checkRepository(to.repository);
    if (input.tag) checkTag(input.tag);
    const signal = () => currentContext()?.cancellationSignal;
    const src = `${from.project}/${from.repository}@${from.digest}`;
    const dst = `${to.project}/${to.repository}`;
    const action = `copy ${src} → ${dst}`;

    // Reading the source first proves read access there, so a later 403 is about the destination.
    const source = await mapFailures(
      { action, need: READ(from.project), subject: `source artifact ${src}` },
      user,
      () => api.getArtifact(from.project, from.repository, from.digest, { withTag: true }, signal()),
    );
    const sourceSignatures = await mapFailures({ action, need: READ(from.project) }, user, () =>
      api.listAccessories(from.project, from.repository, from.digest, SIGNATURE, signal()),
    );
    const copiedAt = new Date().toISOString();
    let bytesThroughWorker = 0;

    if (input.strategy === 'harbor') {
      await mapFailures(
        { action, need: CREATE(to.project), subject: `source artifact ${src}` },
        user,
        async () => {
          try {
            await api.copyArtifact(to.project, to.repository, src, signal());
          } catch (err) {
            // With quota on, a missing source answers 400 "artifact … not found" (harbor-api.md §4).
            const e = err as { status?: number; harborMessage?: string; message: string };
            if (e.status === 400 && toolOutputSays('harbor', 'not-found', e.harborMessage ?? '')) {
              throw nonRetryable(
                FailureType.ImageNotFound,
                `${action}: source artifact not found. Harbor said: ${e.harborMessage}`,
              );
            }
            throw err;
          }
        },
      );
      await carryAttestations(input, action, signal());
    } else {
      const tag = input.tag ?? (source.tags ?? []).map((t) => t.name).find((t) => !/^sha256-/.test(t));
      if (!tag)
        throw nonRetryable(
          FailureType.InvalidInput,
          `${action}: strategy skopeo needs a destination tag and the source has none`,
        );
      await skopeoCopy(src, `${dst}:${tag}`, true, from.digest, action);
      bytesThroughWorker += source.size ?? 0;
      // Tag-style attestations/SBOMs are ordinary tagged artifacts that skopeo does not carry along.
      for (const suffix of ['att', 'sbom']) {
        const sideTag = `${from.digest.replace(':', '-')}.${suffix}`;
        const side = await api
          .getArtifact(from.project, from.repository, sideTag, { withTag: false }, signal())
          .catch(() => undefined);
        if (!side) continue;
        await skopeoCopy(
          `${from.project}/${from.repository}:${sideTag}`,
          `${dst}:${sideTag}`,
          false,
          side.digest,
          action,
        );
        bytesThroughWorker += side.size ?? 0;
      }
    }

    // The destination must now hold the pinned digest (and the requested tag must point at it).
    const copied = await mapFailures(
      {
        action: `${action}: check`,
        need: READ(to.project),
        subject: `copied artifact ${dst}@${from.digest}`,
      },
      user,
      () => api.getArtifact(to.project, to.repository, from.digest, { withTag: true }, signal()),
    );
    if (copied.digest !== from.digest)
      throw nonRetryable(FailureType.DigestMismatch, `${action}: destination holds ${copied.digest}`);
    if (input.tag && !(copied.tags ?? []).some((t) => t.name === input.tag)) {
      await mapFailures(
        { action: `${action}: tag ${input.tag}`, need: CREATE(to.project) },
        user,
        async () => {
          if (
            (await api.createTag(to.project, to.repository, from.digest, input.tag!, signal())) === 'exists'
          ) {
            const holder = await api.getArtifact(
              to.project,
              to.repository,
              input.tag!,
              { withTag: false },
              signal(),
            );
            if (holder.digest !== from.digest) {
              throw nonRetryable(
                FailureType.DigestMismatch,
                `${action}: tag ${input.tag} in ${dst} already points at ${holder.digest}, not ${from.digest}`,
              );
            }
          }
        },
      );
    }

    let signatureRepaired = false;
    if (sourceSignatures.length > 0) {
      const destSignatures = await mapFailures(
        { action: `${action}: check signature`, need: READ(to.project) },
        user,
        () => api.listAccessories(to.project, to.repository, from.digest, SIGNATURE, signal()),
      );
      if (destSignatures.length === 0) {
        currentContext()?.log.warn('signature did not arrive with the copy; repairing', {
          destination: dst,
          digest: from.digest,
        });
        signatureRepaired = await repairSignature(input, action);
      }
    }
    return { digest: from.digest, copiedAt, strategy: input.strategy, signatureRepaired, bytesThroughWorker };
  };

  /**
   * Bring the source's legacy `.att` (cosign attest: the build's SBOM and provenance, the previous
   * environment's VSA and record) along with a server-side copy. It is a plain tagged artifact, not an
   * accessory, so CopyArtifact of the image leaves it behind (docs/attestations-on-harbor.md); copied by its
   * tag it arrives whole. Without it a later environment's `requires` (src/domain/evidence.ts) could never
   * find the build's evidence past the first destination. The skopeo path copies it the same way above.
   */
  async function carryAttestations(input: CopyArtifactInput, action: string, signal?: AbortSignal) {
    const { from, to } = input;
    const attTag = `${from.digest.replace(':', '-')}.att`;
    // Only "there is none" skips it; any other error fails the copy (retried), never silently drops it.
    const att = await mapFailures({ action, need: READ(from.project) }, user, () =>
      api
        .getArtifact(from.project, from.repository, attTag, { withTag: false }, signal)
        .catch((e: unknown) => {
          if (e instanceof HarborHttpError && e.status === 404) return undefined;
          throw e;
        }),
    );
    if (!att) return;
    await mapFailures({ action: `${action}: copy attestations`, need: CREATE(to.project) }, user, () =>
      api.copyArtifact(to.project, to.repository, `${from.project}/${from.repository}:${attTag}`, signal),
    );
  }

  /**
   * Bring the source's `.sig` to the destination: copy that small signature manifest with skopeo (reading
   * a signature is never pull-blocked; pushes never are). Re-signing at the destination is the fallback
   * (a referrer-style signature has no `.sig` tag) but cosign must read the manifest there first, which a
   * cosign-enforcing project refuses for an unsigned image (its pull-only token gets no bypass).
   */
  async function repairSignature(input: CopyArtifactInput, action: string): Promise<boolean> {
    const { from, to } = input;
    const sigTag = `${from.digest.replace(':', '-')}.sig`;
    const sig = await api
      .getArtifact(from.project, from.repository, sigTag, { withTag: false })
      .catch(() => undefined);
    if (sig) {
      await skopeoCopy(
        `${from.project}/${from.repository}:${sigTag}`,
        `${to.project}/${to.repository}:${sigTag}`,
        false,
        sig.digest,
        `${action}: copy signature`,
      );
      const arrived = await mapFailures(
        { action: `${action}: check signature`, need: READ(to.project) },
        user,
        () => api.listAccessories(to.project, to.repository, from.digest, SIGNATURE),
      );
      if (arrived.length > 0) return true;
    }
    return (
      await signImage({ artifact: { project: to.project, repository: to.repository, digest: from.digest } })
    ).signed;
  }

  async function skopeoCopy(
    src: string,
    dst: string,
    all: boolean,
    expectDigest: string,
    action: string,
  ): Promise<void> {
    await withPrivateDir(async (dir) => {
      const authFile = await dir.write(
        'auth.json',
        authFileContent(cfg.registryHost, cfg.harborUsername, d.secrets.harborPassword),
      );
      const policyFile = await dir.write(
        'policy.json',
        JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }),
      );
      await dir.write('sigstore.yaml', sigstoreRegistriesYaml(cfg.registryHost));
      const digestFile = `${dir.path}/digest`;
      const args = skopeoCopyArgs({
        policyFile,
        registriesDir: dir.path, // only *.yaml files are read there: sigstore.yaml
        authFile,
        digestFile,
        src: `${cfg.registryHost}/${src}`,
        dst: `${cfg.registryHost}/${dst}`,
        plainHttp: cfg.plainHttp,
        all,
      });
      const r = await runProcess({
        bin: cfg.skopeoBin,
        args,
        // HOME/XDG point into the private dir: no user-level registries.d, policy or auth file is consulted.
        env: { HOME: dir.path, XDG_CONFIG_HOME: dir.path, REGISTRY_AUTH_FILE: authFile, TMPDIR: dir.path },
        cwd: dir.path,
        timeoutMs: cfg.toolTimeoutMs,
        redactor: d.redactor,
        label: 'skopeo copy',
        heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      });
      if (r.code !== 0) {
        const err = new ToolError('skopeo', r, `skopeo copy ${src} → ${dst}`);
        // What skopeo prints for each case (tool-output.ts), never a bare status number: digests contain them.
        const kind = classifyToolOutput('skopeo', r.stderr)?.kind;
        if (r.code === 2 || kind === 'not-found') {
          throw nonRetryable(FailureType.ImageNotFound, `${action}: ${err.message}`);
        }
        if (kind === 'denied') {
          throw nonRetryable(
            FailureType.PermissionDenied,
            `${action}: ${err.message}\nThe Harbor account '${cfg.harborUsername}' needs pull on the source project and the Developer role (repository:push) on the destination project.`,
          );
        }
        if (kind === 'scan-pending')
          throw retryable(`${action}: waiting for the source's vulnerability scan to finish: ${err.message}`);
        if (kind === 'policy-violation')
          throw nonRetryable(
            FailureType.Quarantined,
            `${action}: the source is blocked by its project's policy: ${err.message}`,
          );
        throw retryable(`${action}: ${err.message}`);
      }
      const pushed = (await readFile(digestFile, 'utf8').catch(() => '')).trim();
      if (pushed && pushed !== expectDigest) {
        throw nonRetryable(
          FailureType.DigestMismatch,
          `${action}: skopeo pushed ${pushed}, expected ${expectDigest}`,
        );
      }
    });
  }
}
