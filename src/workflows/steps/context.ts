/**
 * What the steps of one promotion share: the input, the pinned digest, the record being built and the
 * live state. Workflow code: deterministic, no I/O.
 */
import type { ArtifactRef, CopyResult } from '../../activities/contract.js';
import { isDigest } from '../../domain/image-ref.js';
import { repositoryIn, type Environment } from '../../domain/pipeline.js';
import type { PromotionRecord, ValidPromotionInput } from '../../domain/promotion.js';
import type { PromotionState } from '../state.js';

type RecordSoFar = Omit<
  PromotionRecord,
  'steps' | 'scans' | 'approvals' | 'verifications' | 'ignoredMessages' | 'finishedAt'
>;

export class PromotionRun {
  /** Environments whose image was not scanned, and why (the record's `notScanned`). */
  readonly notScanned: Record<string, string> = {};
  /** Environments where Harbor has no scanner: there prevent_vul blocks nothing (for the pull prediction). */
  readonly noScanner = new Set<string>();
  /** Environments whose VSA and record attestation were written (the final proof checks those). */
  readonly attested: Environment[] = [];
  readonly rec: RecordSoFar;

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
      ...(Object.keys(this.notScanned).length > 0 && { notScanned: this.notScanned }),
    };
  }
}
