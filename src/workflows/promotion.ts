/**
 * promoteImage: the seed runbook ("Publish & Promote") as one durable workflow. It reads top to bottom
 * like the runbook: in the source project resolve and pin the digest, gate on the scan, sign; then for
 * each later environment approve, copy, check digest and signature, rescan and detect quarantine, update
 * the overlay, verify, soak; finally prove the same signed digest is in every project.
 * After resolveAndPin only the pinned digest is used, so a tag moved meanwhile changes nothing.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  isCancellation,
  patched,
  sleep,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { ArtifactRef, CopyResult } from '../activities/contract.js';
import { durationMs, formatDuration } from '../domain/duration.js';
import { FailureType } from '../domain/failures.js';
import { isDigest } from '../domain/image-ref.js';
import { repositoryIn, scanMode, scanSettings, type Environment } from '../domain/pipeline.js';
import {
  checkPromotionInput,
  plannedEnvironments,
  type PromotionInput,
  type PromotionRecord,
  type ValidPromotionInput,
  type VerificationRecord,
} from '../domain/promotion.js';
import { evaluatePull } from '../domain/quarantine.js';
import { evaluateScan } from '../domain/scan-policy.js';
import { call, scanOptions, verificationOptions } from './activities.js';
import { answer, installHandlers } from './approvals.js';
import type { Stage } from './messages.js';
import { PromotionState } from './state.js';

export type { PromotionInput, PromotionRecord } from '../domain/promotion.js';

export async function promoteImage(raw: PromotionInput): Promise<PromotionRecord> {
  const input = validated(raw);
  const envs = plannedEnvironments(input);
  const st = new PromotionState(workflowInfo().workflowId, input, envs);
  const p = new Promotion(st, input, envs);
  installHandlers(st);
  st.publish();
  try {
    const [source, ...destinations] = envs as [Environment, ...Environment[]];
    // Runbook step 1–2: the image is in the dev project; wait for Trivy, gate, sign.
    await p.resolveAndPin(source);
    await p.awaitScanAndGate(source, 0);
    await p.sign(source);
    // Runbook steps 3–5, once per later environment.
    let previous = source;
    for (const [i, env] of destinations.entries()) {
      if (env.approval) await p.approvalGate(env);
      const copy = await p.copyToEnvironment(previous, env);
      // The fresh scan comes before the signature check: cosign reads the manifest through /v2, where
      // Harbor blocks pulls while the copy's auto-scan is still running in a prevent_vul project.
      await p.rescanAndDetectQuarantine(env, i + 1, copy);
      await p.checkDigestAndSignature(env, copy);
      if (env.overlay) await p.updateOverlay(env);
      if (env.verification) await p.verificationGate(env);
      if (env.soak) await p.soak(env);
      previous = env;
    }
    // Runbook "Verification": the same digest, signed, in every project.
    await p.proveFinalState();
    st.stage = 'completed';
    st.publish();
    await condition(allHandlersFinished);
    return p.record();
  } catch (err) {
    st.stage = isCancellation(err) ? 'cancelled' : 'failed';
    for (const s of st.steps)
      if (s.state === 'running' || s.state === 'waiting')
        st.finish(s.id, isCancellation(err) ? 'cancelled' : 'failed');
    const f = describeFailure(err);
    st.failure = isCancellation(err) ? 'cancelled' : `${f.type}: ${f.message}`;
    st.publish();
    throw err;
  }
}

function validated(raw: PromotionInput): ValidPromotionInput {
  const r = checkPromotionInput(raw);
  if (r.ok) return r.input;
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `invalid promotion input:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`,
  });
}

const fail = (type: FailureType, message: string, cause?: Error, ...details: unknown[]) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, cause, details });

/**
 * Type and message for the board. An ActivityFailure that `explain` left as is (retries exhausted on a
 * Transient failure, a timeout) says only "Activity task failed": the messages of its causes say why.
 */
export function describeFailure(err: unknown): { type: string; message: string } {
  if (!(err instanceof ActivityFailure))
    return { type: (err as ApplicationFailure).type ?? 'Error', message: (err as Error).message };
  let type: string | undefined;
  const parts: string[] = [];
  for (let e: unknown = err.cause, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    if (!type && e instanceof ApplicationFailure && e.type) type = e.type;
    if (!type && e instanceof TimeoutFailure) type = 'Timeout';
    if (e.message) parts.push(e.message);
  }
  return {
    type: type ?? 'Error',
    message: `${err.activityType} failed${parts.length ? `: ${parts.join(': ')}` : ''}`,
  };
}

/** Turns an activity's typed failure into the workflow's failure, with where it happened. */
function explain(err: unknown, where: string, timeoutType?: FailureType, timeoutHint?: string): unknown {
  if (isCancellation(err) || !(err instanceof ActivityFailure)) return err;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type && cause.type in FailureType)
    return fail(cause.type as FailureType, `${where}: ${cause.message}`, err);
  if (cause instanceof TimeoutFailure && timeoutType)
    return fail(timeoutType, `${where}: ${timeoutHint}`, err);
  return err;
}

/** ensureScanned's answer when Harbor has no scanner for the project at all (details `{ noScanner: true }`). */
function isNoScanner(err: unknown): boolean {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return false;
  const d = err.cause.details?.[0] as { noScanner?: boolean } | undefined;
  return err.cause.type === FailureType.ScannerUnavailable && d?.noScanner === true;
}

class Promotion {
  private digest = '';
  /** Environments whose image was not scanned, and why (the record's `notScanned`). */
  readonly notScanned: Record<string, string> = {};
  /** Environments where Harbor has no scanner: there prevent_vul blocks nothing (for the pull prediction). */
  private readonly noScanner = new Set<string>();
  private readonly started = new Date().toISOString();
  private readonly rec: Omit<
    PromotionRecord,
    'steps' | 'scans' | 'approvals' | 'verifications' | 'ignoredMessages' | 'finishedAt'
  >;

  constructor(
    private readonly st: PromotionState,
    private readonly input: ValidPromotionInput,
    private readonly envs: Environment[],
  ) {
    this.rec = {
      promotionId: st.promotionId,
      pipeline: input.pipeline.name,
      repository: input.repository,
      reference: input.reference,
      digest: '',
      manifestMediaType: '',
      environments: envs.map((e) => e.name),
      requestedBy: input.requestedBy,
      startedAt: this.started,
      copies: {},
      overlays: {},
      proof: [],
    };
  }

  private artifact(env: Environment): ArtifactRef {
    return {
      project: env.project,
      repository: repositoryIn(env, this.input.repository),
      digest: this.digest,
    };
  }
  private at(env: Environment): string {
    return `${env.name} (${env.project}/${repositoryIn(env, this.input.repository)})`;
  }
  private get tag(): string | undefined {
    return isDigest(this.input.reference) ? undefined : this.input.reference;
  }

  /** Runs one named step: marks it in status, and on failure says where. */
  private async step<T>(
    env: Environment | undefined,
    name: string,
    stage: Stage,
    detail: string,
    body: () => Promise<T>,
    done: (r: T) => string,
  ): Promise<T> {
    const id = env ? `${env.name}/${name}` : name;
    this.st.start(id, stage, env?.name, detail);
    try {
      const r = await body();
      this.st.finish(id, 'succeeded', done(r));
      return r;
    } catch (err) {
      this.st.finish(id, isCancellation(err) ? 'cancelled' : 'failed', describeFailure(err).message);
      throw err;
    }
  }

  async resolveAndPin(env: Environment): Promise<void> {
    const ref = this.input.reference;
    const res = await this.step(
      env,
      'resolveAndPin',
      'resolving',
      `resolving ${ref} in ${this.at(env)}`,
      async () => {
        const r = await call('resolveDigest', `resolve ${ref} in ${env.project}`, {
          project: env.project,
          repository: repositoryIn(env, this.input.repository),
          reference: ref,
        }).catch((e) => Promise.reject(explain(e, `resolving ${ref} in ${this.at(env)}`)));
        if (isDigest(ref) && r.digest !== ref)
          throw fail(
            FailureType.DigestMismatch,
            `${this.at(env)} answered ${r.digest} for ${ref}; check the registry (a proxy or mirror may rewrite manifests)`,
          );
        return r;
      },
      (r) => `pinned ${r.digest}`,
    );
    this.digest = res.digest;
    this.rec.digest = res.digest;
    this.rec.manifestMediaType = res.manifestMediaType;
    this.st.digest = res.digest;
    this.st.publish();
  }

  async awaitScanAndGate(env: Environment, index: number, notBefore?: string): Promise<void> {
    const where = this.at(env);
    const stepName = notBefore ? 'rescanAndDetectQuarantine' : 'awaitScanAndGate';
    const mode = scanMode(env);
    // Versioned: histories from before optional scans never reach patched() (their mode is always
    // `required`), and a new optional/off environment records the marker before it acts differently.
    const optional = mode !== 'required' && patched('optional-scans');
    if (optional && mode === 'off') {
      const id = `${env.name}/${stepName}`;
      this.st.start(id, 'scanning', env.name, `scan gate of ${where} is off`);
      this.notScanned[env.name] = `not scanned: environments[${index}].scan is false`;
      this.st.finish(id, 'skipped', this.notScanned[env.name]);
      return;
    }
    const settings = scanSettings(env);
    await this.step(
      env,
      stepName,
      'scanning',
      `waiting for a finished scan in ${where}`,
      async () => {
        const scan = await call(
          'ensureScanned',
          `scan ${env.project}@${this.digest.slice(7, 19)}`,
          {
            artifact: this.artifact(env),
            pollIntervalMs: durationMs(settings.pollInterval),
            ...(notBefore && { notBefore }),
          },
          scanOptions(env),
        ).catch((e) => {
          if (optional && isNoScanner(e)) return undefined;
          return Promise.reject(
            explain(
              e,
              `scan in ${where}`,
              FailureType.ScannerUnavailable,
              `no finished scan within ${settings.timeout}; check the scanner in Harbor (Interrogation Services) or raise environments[${index}].scan.timeout`,
            ),
          );
        });
        if (!scan) {
          this.noScanner.add(env.name);
          const why = `not scanned: Harbor has no scanner for ${env.project} and environments[${index}].scan.required is false (warning: no vulnerability gate ran)`;
          this.notScanned[env.name] = why;
          return why;
        }
        this.st.scans[env.name] = scan;
        if (scan.status !== 'Success')
          throw fail(
            FailureType.ScannerUnavailable,
            `scan in ${where} ended ${scan.status}; check the scanner in Harbor and start the promotion again`,
          );
        const verdict = evaluateScan(scan, env.severityThreshold, {
          environment: env.name,
          project: env.project,
          field: `environments[${index}].severityThreshold`,
        });
        if (!verdict.passed)
          throw fail(FailureType.VulnerabilityPolicyViolation, verdict.message, undefined, verdict.blocking);
        return verdict.message;
      },
      (m) => m,
    );
  }

  async sign(env: Environment): Promise<void> {
    const r = await this.step(
      env,
      'sign',
      'signing',
      `signing ${this.digest} in ${this.at(env)}`,
      () =>
        call('signImage', `cosign sign ${env.project}@${this.digest.slice(7, 19)}`, {
          artifact: this.artifact(env),
        }).catch((e) => Promise.reject(explain(e, `signing in ${this.at(env)}`))),
      (r) => (r.signed ? 'signed' : 'already signed by the configured key'),
    );
    this.rec.signature = r;
  }

  async approvalGate(env: Environment): Promise<void> {
    const rec = this.st.approvals[env.name]!;
    const expiryMs = durationMs(env.approval!.expiry);
    rec.openedAt = new Date().toISOString();
    rec.expiresAt = new Date(Date.now() + expiryMs).toISOString();
    const id = this.st.promotionId;
    const needs = () => {
      const a = answer(rec);
      return `${rec.required - a.approvals} more approval${rec.required - a.approvals === 1 ? '' : 's'} into ${env.name} (${a.approvals}/${rec.required}) from ${a.stillNeeded.join(', ')}`;
    };
    const gate = () => {
      this.st.pendingGate = {
        kind: 'approval',
        environment: env.name,
        needs: needs(),
        until: rec.expiresAt,
        command: `harbor-promote approve ${id} --env ${env.name} --as <name>`,
      };
    };
    this.st.onApprovalChange = () => {
      gate();
      this.st.publish();
    };
    this.st.awaitingApprovalFor = env.name;
    await this.step(
      env,
      'approvalGate',
      'awaiting-approval',
      `approval into ${env.name}`,
      async () => {
        gate();
        this.st.publish();
        const decided = await condition(() => rec.decision !== 'pending', expiryMs, {
          summary: `approval into ${env.name} expires after ${env.approval!.expiry}`,
        });
        this.st.awaitingApprovalFor = undefined;
        this.st.onApprovalChange = undefined;
        if (!decided) {
          rec.decision = 'expired';
          throw fail(
            FailureType.ApprovalExpired,
            `approval into ${env.name} expired after ${env.approval!.expiry} with ${rec.approvals.length}/${rec.required} approvals; start the promotion again and ask ${rec.approvers.join(', ')}`,
          );
        }
        if (rec.decision === 'rejected')
          throw fail(
            FailureType.ApprovalRejected,
            `${rec.rejection!.approver} rejected the promotion into ${env.name}: ${rec.rejection!.reason}`,
          );
        return rec.approvals.map((a) => a.approver);
      },
      (who) => `approved by ${who.join(', ')}`,
    );
  }

  async copyToEnvironment(from: Environment, env: Environment): Promise<CopyResult> {
    const r = await this.step(
      env,
      'copyToEnvironment',
      'copying',
      `copying ${this.digest} ${from.project} → ${env.project} (${env.copyStrategy})`,
      () =>
        call('copyArtifact', `copy ${from.project} → ${env.project} (${env.copyStrategy})`, {
          from: this.artifact(from),
          to: { project: env.project, repository: repositoryIn(env, this.input.repository) },
          ...(this.tag && { tag: this.tag }),
          strategy: env.copyStrategy,
        }).catch((e) => Promise.reject(explain(e, `copying into ${this.at(env)}`))),
      (r) => `copied by ${r.strategy}${r.signatureRepaired ? ' (signature re-created)' : ''}`,
    );
    this.rec.copies[env.name] = r;
    return r;
  }

  async checkDigestAndSignature(env: Environment, copy: CopyResult): Promise<void> {
    await this.step(
      env,
      'checkDigestAndSignature',
      'checking',
      `checking digest and signature in ${this.at(env)}`,
      async () => {
        if (copy.digest !== this.digest)
          throw fail(
            FailureType.DigestMismatch,
            `${this.at(env)} holds ${copy.digest} after the copy, not the pinned ${this.digest}; a copy must not rebuild (use copyStrategy harbor, or skopeo with --all --preserve-digests)`,
          );
        await call('verifySignature', `cosign verify ${env.project}@${this.digest.slice(7, 19)}`, {
          artifact: this.artifact(env),
        }).catch((e) => Promise.reject(explain(e, `signature in ${this.at(env)} after the copy`)));
      },
      () => 'digest equal, signature valid',
    );
  }

  async rescanAndDetectQuarantine(env: Environment, index: number, copy: CopyResult): Promise<void> {
    // Reports are shared per digest across projects: only one that started after the copy counts.
    await this.awaitScanAndGate(env, index, copy.copiedAt);
    const id = `${env.name}/rescanAndDetectQuarantine`;
    this.st.start(id, 'checking', env.name, `checking ${env.project}'s pull policy`);
    try {
      const policy = await call('readProjectPolicy', `read policy of ${env.project}`, {
        project: env.project,
      });
      const predicted = evaluatePull(policy, {
        signed: true,
        scan: this.st.scans[env.name],
        ...(this.noScanner.has(env.name) && { scannable: false }),
      });
      // The manifest HEAD is the authority: a 412 is Harbor saying the image is quarantined.
      await call('checkPullable', `HEAD manifest in ${env.project}`, { artifact: this.artifact(env) });
      this.st.finish(
        id,
        'succeeded',
        predicted.blocked
          ? `policy predicted a block (${predicted.message}) but Harbor serves the manifest`
          : 'pullable',
      );
    } catch (err) {
      const e = explain(err, `${this.at(env)} quarantines ${this.digest}`) as Error;
      const hint =
        (e as ApplicationFailure).type === FailureType.Quarantined
          ? ` Fix the vulnerabilities (or sign the image) and promote again, or ask a ${env.project} admin to allowlist the CVEs.`
          : '';
      this.st.finish(id, isCancellation(err) ? 'cancelled' : 'failed', e.message);
      throw hint ? fail(FailureType.Quarantined, e.message + hint, err as Error) : e;
    }
  }

  async updateOverlay(env: Environment): Promise<void> {
    const o = env.overlay!;
    const repo = repositoryIn(env, this.input.repository);
    const r = await this.step(
      env,
      'updateOverlay',
      'deploying',
      `pointing ${o.path} at ${this.digest}`,
      () =>
        call('updateOverlay', `update overlay ${o.path}`, {
          environment: env.name,
          overlayPath: o.path,
          imageName: o.imageName ?? repo,
          newName: o.newName ?? `${this.input.pipeline.registry}/${env.project}/${repo}`,
          ...(this.tag && { newTag: this.tag }),
          digest: this.digest,
          promotionId: this.st.promotionId,
        }).catch((e) => Promise.reject(explain(e, `updating ${o.path}`))),
      (r) => (r.changed ? `committed ${r.commit}` : `already at ${r.commit}`),
    );
    this.rec.overlays[env.name] = { ...r, path: o.path };
  }

  async verificationGate(env: Environment): Promise<void> {
    const v = env.verification!;
    const timeoutMs = durationMs(v.timeout);
    const id = this.st.promotionId;
    const kind = v.command ? 'command' : v.webhook ? 'webhook' : 'external';
    await this.step(
      env,
      'verificationGate',
      'verifying',
      `integration tests (${kind}) in ${env.name}`,
      async () => {
        if (kind === 'external') {
          this.st.awaitingReportFor = env.name;
          this.st.pendingGate = {
            kind: 'verification',
            environment: env.name,
            needs: `a verification report for ${env.name}`,
            until: new Date(Date.now() + timeoutMs).toISOString(),
            command: `harbor-promote report ${id} --env ${env.name} --passed|--failed --url <results>`,
          };
          this.st.publish();
          const got = await condition(() => this.st.reports[env.name] !== undefined, timeoutMs, {
            summary: `verification report for ${env.name} due within ${v.timeout}`,
          });
          this.st.awaitingReportFor = undefined;
          if (!got)
            throw fail(
              FailureType.VerificationFailed,
              `no verification report for ${env.name} within ${v.timeout}; run the tests and report with \`harbor-promote report\`, then start again`,
            );
          const r = this.st.reports[env.name]!;
          return this.judge(env, kind, {
            passed: r.passed,
            url: r.url,
            details: r.details,
            reportedBy: 'signal',
          });
        }
        const spec = v.command
          ? { kind: 'command' as const, argv: v.command, timeoutMs }
          : { kind: 'webhook' as const, url: v.webhook!, timeoutMs };
        const r = await call(
          'runVerification',
          `integration tests (${kind}) in ${env.name}`,
          {
            environment: env.name,
            image: `${env.project}/${repositoryIn(env, this.input.repository)}@${this.digest}`,
            digest: this.digest,
            verification: spec,
          },
          verificationOptions(timeoutMs),
        ).catch((e) =>
          Promise.reject(
            explain(
              e,
              `verification in ${env.name}`,
              FailureType.VerificationFailed,
              `tests did not finish within ${v.timeout}`,
            ),
          ),
        );
        return this.judge(env, kind, { ...r, reportedBy: 'activity' });
      },
      (r) => `passed${r.url ? ` (${r.url})` : ''}`,
    );
  }

  /** Records a verification result; a failed one fails the promotion. */
  private judge(
    env: Environment,
    kind: VerificationRecord['kind'],
    r: Omit<VerificationRecord, 'environment' | 'kind' | 'at'>,
  ): VerificationRecord {
    const rec: VerificationRecord = { environment: env.name, kind, at: new Date().toISOString(), ...r };
    this.st.verifications[env.name] = rec;
    if (!r.passed)
      throw fail(
        FailureType.VerificationFailed,
        `integration tests in ${env.name} failed${r.url ? ` (${r.url})` : ''}${r.details ? `: ${r.details}` : ''}; fix and promote again`,
        undefined,
        rec,
      );
    return rec;
  }

  async soak(env: Environment): Promise<void> {
    const ms = durationMs(env.soak!);
    await this.step(
      env,
      'soak',
      'soaking',
      `soaking ${env.soak} in ${env.name}`,
      async () => {
        this.st.pendingGate = {
          kind: 'soak',
          environment: env.name,
          needs: `soak time of ${formatDuration(ms)} in ${env.name}`,
          until: new Date(Date.now() + ms).toISOString(),
          command: `harbor-promote cancel ${this.st.promotionId} (to stop it)`,
        };
        this.st.publish();
        await sleep(ms, { summary: `soak ${env.soak} in ${env.name}` });
      },
      () => `soaked ${env.soak}`,
    );
  }

  async proveFinalState(): Promise<void> {
    const proof = await this.step(
      undefined,
      'proveFinalState',
      'proving',
      `checking ${this.digest} in every project`,
      async () => {
        const p = await call(
          'verifyDigests',
          `prove ${this.digest.slice(7, 19)} in ${this.envs.length} projects`,
          {
            digest: this.digest,
            artifacts: this.envs.map((e) => this.artifact(e)),
          },
        ).catch((e) => Promise.reject(explain(e, 'final check')));
        const wrong = p.filter((x) => x.digest !== this.digest);
        if (wrong.length)
          throw fail(
            FailureType.DigestMismatch,
            `${wrong.map((x) => `${x.project}/${x.repository} holds ${x.digest}`).join('; ')}, not ${this.digest}; someone pushed over the tag: promote again`,
            undefined,
            p,
          );
        const unsigned = p.filter((x) => !x.signed);
        if (unsigned.length)
          throw fail(
            FailureType.SignatureInvalid,
            `no valid signature in ${unsigned.map((x) => x.project).join(', ')}; re-sign or promote again`,
            undefined,
            p,
          );
        return p;
      },
      (p) => `same signed digest in ${p.map((x) => x.project).join(', ')}`,
    );
    this.rec.proof = proof;
  }

  record(): PromotionRecord {
    return {
      ...this.rec,
      finishedAt: new Date().toISOString(),
      steps: this.st.steps,
      scans: this.st.scans,
      approvals: this.st.approvals,
      verifications: this.st.verifications,
      ignoredMessages: this.st.ignoredMessages,
      ...(Object.keys(this.notScanned).length > 0 && { notScanned: this.notScanned }),
    };
  }
}
