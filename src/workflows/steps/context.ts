/**
 * What the steps of one promotion share: the input, the pinned digest, the record being built and the
 * live state. Workflow code: deterministic, no I/O.
 */
import type { ArtifactRef, CopyResult } from '../../activities/contract.js';
import { isDigest } from '../../domain/image-ref.js';
import type { Environment } from '../../domain/pipeline.js';
import { repositoryIn } from '../../domain/pipeline-rules.js';
import type { PromotionRecord, ValidPromotionInput } from '../../domain/promotion.js';
import { HeldEnvironments } from '../held-environments.js';
import type { PromotionState } from '../state.js';

type RecordSoFar = Omit<
  PromotionRecord,
  | 'steps'
  | 'scans'
  | 'approvals'
  | 'verifications'
  | 'ignoredMessages'
  | 'finishedAt'
  | 'freezes'
  | 'notifications'
>;

export class PromotionRun {
  /** Environments whose image was not scanned, and why (the record's `notScanned`). */
  readonly notScanned: Record<string, string> = {};
  /** Environments where Harbor has no scanner: there prevent_vul blocks nothing (for the pull prediction). */
  readonly noScanner = new Set<string>();
  /** The environment locks asked for and not yet released (acquireEnvironment/releaseEnvironment). */
  readonly locks = new HeldEnvironments();
  /** Environments whose VSA and record attestation were written (the final proof checks those). */
  readonly attested: Environment[] = [];
  readonly rec: RecordSoFar;
  /**
   * Set when this run is a rollback (`harbor-promote rollback`): the overlay commit says so. Steps that
   * behave differently for a rollback (a "never backwards" check) look here.
   */
  rollback?: {
    requestedBy?: string;
    /** What the overlay pinned as the records said when the rollback was asked for. */
    from?: string;
    /** The promotion that brought the target digest into the environment. */
    promotedBy?: string;
  };

  constructor(
    readonly st: PromotionState,
    readonly input: ValidPromotionInput,
    readonly envs: Environment[],
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
      startedAt: new Date().toISOString(),
      copies: {},
      overlays: {},
      proof: [],
    };
  }

  /** The pinned digest ('' before resolveAndPin): every step after it uses this and nothing else. */
  get digest(): string {
    return this.rec.digest;
  }
  artifact(env: Environment): ArtifactRef {
    return {
      project: env.project,
      repository: repositoryIn(env, this.input.repository),
      digest: this.digest,
    };
  }
  /** `staging (platform-staging/myservice)` for messages. */
  at(env: Environment): string {
    return `${env.name} (${env.project}/${repositoryIn(env, this.input.repository)})`;
  }
  /** The tag to carry along, when the promotion started from one. */
  get tag(): string | undefined {
    return isDigest(this.input.reference) ? undefined : this.input.reference;
  }
  /** The copy into env (copyToEnvironment runs before the steps that read it). */
  copy(env: Environment): CopyResult {
    const c = this.rec.copies[env.name];
    if (!c) throw new Error(`no copy into ${env.name} yet`); // a table order error: fails the task
    return c;
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
      ...(Object.keys(this.st.freezes).length > 0 && { freezes: this.st.freezes }),
      ...(this.st.notifications.length > 0 && { notifications: this.st.notifications }),
      ...(Object.keys(this.notScanned).length > 0 && { notScanned: this.notScanned }),
    };
  }
}
