/**
 * Activities that only talk to Harbor: resolveDigest, ensureScanned, readProjectPolicy, checkPullable,
 * verifyDigests. All are read-only except ensureScanned's scan trigger, which is idempotent by nature
 * (409 = already running), so every one of them can simply be re-run by a Temporal retry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures.js';
import type {
  ArtifactRef,
  DigestProof,
  EnsureScannedInput,
  ProjectPolicy,
  ResolveDigestInput,
  ResolvedArtifact,
  ScanSummary,
  VerifyDigestsInput,
} from './contract.js';
import type { Deps } from './deps.js';
import { mapFailures, nonRetryable, type AccessNeed } from './failures.js';
import { currentContext } from './process.js';
import { isFinal, pickOverview, startedSince, toProjectPolicy, toScanSummary } from './scan.js';
import { checkArtifact, checkProject, checkReference, checkRepository } from './validate.js';

export const READ = (project: string): AccessNeed => ({
  project,
  role: 'Guest',
  permission: 'artifact:read',
});
export const PULL = (project: string): AccessNeed => ({
  project,
  role: 'Guest',
  permission: 'repository:pull',
});
export const SCAN = (project: string): AccessNeed => ({
  project,
  role: 'Developer',
  permission: 'scan:create',
});
const MAX_VULN_IDS = 500;
const MAX_SCAN_TRIGGERS = 3;

export function harborActivities(d: Deps) {
  const user = d.cfg.harborUsername;
  const signal = () => currentContext()?.cancellationSignal;

  async function resolveDigest(input: ResolveDigestInput): Promise<ResolvedArtifact> {
    checkProject(input.project);
    checkRepository(input.repository);
    checkReference(input.reference);
    const name = `${input.project}/${input.repository}${input.reference.startsWith('sha256:') ? '@' : ':'}${input.reference}`;
    const fc = { action: `resolve ${name}`, need: READ(input.project), subject: `artifact ${name}` };
    return mapFailures(fc, user, async () => {
      const a = await d.api.getArtifact(
        input.project,
        input.repository,
        input.reference,
        { withTag: true },
        signal(),
      );
      // An index keeps its own digest: that is what gets signed (--recursive) and copied (--all).
      return {
        digest: a.digest,
        manifestMediaType: a.manifest_media_type ?? a.media_type ?? '',
        tags: (a.tags ?? []).map((t) => t.name),
        ...(a.push_time && { pushTime: a.push_time }),
      };
    });
  }

  /** The push time the environment locks compare ("newer"); a missing artifact is an answer, not a failure. */
  async function readPushTime(input: {
    artifact: ArtifactRef;
  }): Promise<{ found: boolean; pushTime?: string }> {
    const { project, repository, digest } = input.artifact;
    checkArtifact(input.artifact);
    const name = `${project}/${repository}@${digest}`;
    return mapFailures({ action: `read push time of ${name}`, need: READ(project) }, user, async () => {
      try {
        const a = await d.api.getArtifact(project, repository, digest, { withTag: false }, signal());
        return { found: true, ...(a.push_time && { pushTime: a.push_time }) };
      } catch (err) {
        if ((err as { status?: number }).status === 404) return { found: false };
        throw err;
      }
    });
  }

  async function ensureScanned(input: EnsureScannedInput): Promise<ScanSummary> {
    const { project, repository, digest } = input.artifact;
    checkArtifact(input.artifact);
    const name = `${project}/${repository}@${digest}`;
    const ctx = currentContext();
    const pollMs = input.pollIntervalMs ?? 2_000;
    let triggers = 0;
    let triggeredOver: string | undefined; // the report id that was current when we triggered
    let triggered = false;
    for (;;) {
      const a = await mapFailures(
        { action: `read scan of ${name}`, need: READ(project), subject: `artifact ${name}` },
        user,
        () =>
          d.api.getArtifact(
            project,
            repository,
            digest,
            { withTag: false, withScanOverview: true },
            signal(),
          ),
      );
      const o = pickOverview(a);
      // A report we caused counts as fresh even if Harbor's clock disagrees with ours about notBefore.
      const fresh =
        !!o &&
        (startedSince(o, input.notBefore) || (triggered && !!o.report_id && o.report_id !== triggeredOver));
      if (o && isFinal(o) && fresh) {
        const ids =
          o.scan_status === 'Success' && (o.summary?.total ?? 0) > 0
            ? await mapFailures(
                { action: `read vulnerabilities of ${name}`, need: READ(project) },
                user,
                () => d.api.getVulnerabilityIds(project, repository, digest, signal()),
              )
            : undefined;
        return toScanSummary(o, ids?.slice(0, MAX_VULN_IDS));
      }
      // Nothing, or a stale final report: start a scan. A pending/running one is awaited (it may be fresh,
      // e.g. the destination's auto-scan after a copy) and judged when it ends.
      if (!o || isFinal(o)) {
        if (triggers >= MAX_SCAN_TRIGGERS) {
          throw nonRetryable(
            FailureType.ScannerUnavailable,
            `scan of ${name}: ${triggers} scans triggered but no fresh report appeared`,
          );
        }
        triggers++;
        triggeredOver = o?.report_id;
        triggered = true;
        await mapFailures(
          { action: `scan ${name}`, need: SCAN(project), subject: `artifact ${name}` },
          user,
          async () => {
            try {
              await d.api.scanArtifact(project, repository, digest, signal());
            } catch (err) {
              if ((err as { status?: number }).status === 412) {
                // details.noScanner lets an environment with `scan: { required: false }` pass without a scan.
                throw ApplicationFailure.create({
                  type: FailureType.ScannerUnavailable,
                  nonRetryable: true,
                  message: `scan ${name}: no scanner is available for project '${project}' (configure a default scanner in Harbor, or set the environment's scan to \`{ required: false }\` or \`false\` in the pipeline). Harbor said: ${(err as Error).message}`,
                  details: [{ noScanner: true }],
                });
              }
              throw err;
            }
          },
        );
      }
      ctx?.heartbeat({ waiting: 'scan', reportId: o?.report_id, status: o?.scan_status ?? 'none', triggers });
      if (ctx) await ctx.sleep(pollMs);
      else await sleep(pollMs);
    }
  }

  async function readProjectPolicy(input: { project: string }): Promise<ProjectPolicy> {
    checkProject(input.project);
    const fc = {
      action: `read policy of project ${input.project}`,
      need: { project: input.project, role: 'Guest', permission: 'project:read' },
      subject: `project ${input.project}`,
    };
    return mapFailures(fc, user, async () => {
      const p = await d.api.getProject(input.project, signal());
      const reuseSystem = (p.metadata?.reuse_sys_cve_allowlist ?? 'true').toLowerCase() !== 'false';
      const system = reuseSystem ? await d.api.getSystemCveAllowlist(signal()) : undefined;
      return toProjectPolicy(input.project, p.metadata, p.cve_allowlist, system, Date.now());
    });
  }

  async function checkPullable(input: { artifact: ArtifactRef }): Promise<{ pullable: true }> {
    const { project, repository, digest } = input.artifact;
    checkArtifact(input.artifact);
    const name = `${project}/${repository}@${digest}`;
    return mapFailures(
      { action: `pull check of ${name}`, need: PULL(project), subject: `artifact ${name}` },
      user,
      async () => {
        const head = await d.registry.headManifest(project, repository, digest, signal());
        if (head.digest && head.digest !== digest) {
          throw nonRetryable(
            FailureType.DigestMismatch,
            `pull check of ${name}: the registry served ${head.digest}`,
          );
        }
        return { pullable: true as const };
      },
    );
  }

  return { resolveDigest, readPushTime, ensureScanned, readProjectPolicy, checkPullable };
}

/**
 * verifyDigests: for each project, the REST API (not subject to pull policy) must hold the pinned digest
 * (under `tag` when given), the registry must serve it (412 → Quarantined), and the signature must verify.
 */
export function verifyDigestsActivity(d: Deps, verifySigned: (as: ArtifactRef[]) => Promise<void>) {
  const user = d.cfg.harborUsername;
  return async function verifyDigests(input: VerifyDigestsInput): Promise<DigestProof[]> {
    const signal = currentContext()?.cancellationSignal;
    for (const a of input.artifacts) {
      checkArtifact(a);
      const ref = input.tag ?? input.digest;
      const name = `${a.project}/${a.repository}${input.tag ? `:${input.tag}` : `@${input.digest}`}`;
      if (a.digest !== input.digest) {
        throw nonRetryable(
          FailureType.DigestMismatch,
          `${a.project}/${a.repository} was recorded with ${a.digest}, not the pinned ${input.digest}`,
        );
      }
      await mapFailures(
        { action: `verify ${name}`, need: READ(a.project), subject: `artifact ${name}` },
        user,
        async () => {
          const art = await d.api.getArtifact(a.project, a.repository, ref, { withTag: false }, signal);
          if (art.digest !== input.digest) {
            throw nonRetryable(
              FailureType.DigestMismatch,
              `${name} is ${art.digest} in Harbor, not the pinned ${input.digest}`,
            );
          }
          const head = await d.registry.headManifest(a.project, a.repository, ref, signal);
          if (head.digest && head.digest !== input.digest) {
            throw nonRetryable(
              FailureType.DigestMismatch,
              `the registry serves ${name} as ${head.digest}, not the pinned ${input.digest}`,
            );
          }
        },
      );
      currentContext()?.heartbeat({ digestChecked: a.project });
    }
    const pinned = input.artifacts.map((a) => ({ ...a, digest: input.digest }));
    await verifySigned(pinned);
    return pinned.map((a) => ({
      project: a.project,
      repository: a.repository,
      digest: a.digest,
      signed: true,
    }));
  };
}
