/**
 * The promotion's live state: the step list (the plan from steps/table.ts, so `status` shows the whole
 * promotion in the order it runs), gates, approvals, reports. Keeping it in one object lets the query, the update validators and the UI details
 * read the same facts the workflow acts on. Workflow code: deterministic, no I/O.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ScanSummary } from '../activities/contract.js';
import type { AllowedSigner } from '../domain/approval-statement.js';
import type { Environment } from '../domain/pipeline.js';
import type {
  ApprovalRecord,
  IgnoredMessage,
  StepRecord,
  StepState,
  ValidPromotionInput,
  VerificationRecord,
} from '../domain/promotion.js';
import { isDigest } from '../domain/image-ref.js';
import {
  PromotionDigest,
  PromotionEnvironment,
  PromotionRepository,
  PromotionStage,
  PromotionTag,
} from './search-attributes.js';
import type { PendingGate, PromotionStatus, Stage, VerificationReport } from './messages.js';
import type { PlannedStep } from './steps/table.js';

const now = () => new Date().toISOString(); // workflow time: deterministic

export interface ApprovalRules {
  /** The requester may not approve (separation of duties); undefined when anyone listed may. */
  requester?: string;
  /** Signed approvals: the gate's allowed_signers lines and their parsed keys. */
  signers?: { lines: string[]; parsed: AllowedSigner[] };
  /** Nonces already used by an accepted signed approval (a replayed statement names one of them). */
  usedNonces: string[];
}

export class PromotionState {
  stage: Stage = 'starting';
  currentEnvironment: string;
  digest?: string;
  pendingGate?: PendingGate;
  failure?: string;
  readonly steps: StepRecord[] = [];
  readonly scans: Record<string, ScanSummary> = {};
  readonly approvals: Record<string, ApprovalRecord> = {};
  readonly verifications: Record<string, VerificationRecord> = {};
  readonly reports: Record<string, VerificationReport> = {};
  readonly ignoredMessages: IgnoredMessage[] = [];
  /** Environment whose approval gate is open right now (messages for others are refused). */
  awaitingApprovalFor?: string;
  awaitingReportFor?: string;
  /** Set by the approval gate so the gate's "needs" line follows each approval. */
  onApprovalChange?: (rec: ApprovalRecord) => void;
  /**
   * What an approval must satisfy beyond the approver list, per gate: set when the gate opens, in
   * promotions that started on a version with them (`approval-rules` patch; absent in older histories).
   */
  readonly approvalRules: Record<string, ApprovalRules> = {};

  constructor(
    readonly promotionId: string,
    readonly input: ValidPromotionInput,
    readonly envs: Environment[],
    plan: readonly PlannedStep[],
  ) {
    this.currentEnvironment = envs[0]!.name;
    // The plan, all pending: `status` shows the whole promotion from the start, in the order it runs.
    for (const p of plan)
      this.steps.push({
        id: p.id,
        ...(p.unit.scope === 'environment' && { environment: p.env.name }),
        step: p.unit.name,
        state: 'pending',
      });
    for (const env of envs)
      if (env.approval)
        this.approvals[env.name] = {
          environment: env.name,
          approvers: env.approval.approvers,
          required: env.approval.required,
          decision: 'pending',
          approvals: [],
        };
  }

  step(id: string): StepRecord {
    const s = this.steps.find((x) => x.id === id);
    if (!s) throw new Error(`no step ${id}`); // a programming error: fails the task, not the promotion
    return s;
  }

  start(id: string, stage: Stage, env: string | undefined, detail: string): void {
    const s = this.step(id);
    s.state = stage === 'awaiting-approval' || stage === 'soaking' ? 'waiting' : 'running';
    s.startedAt ??= now(); // a step resumed after a sub-step keeps its first start
    s.finishedAt = undefined;
    s.detail = detail;
    this.stage = stage;
    if (env) this.currentEnvironment = env;
    this.publish();
  }

  finish(id: string, state: StepState, detail?: string): void {
    const s = this.step(id);
    s.state = state;
    s.finishedAt = now();
    if (detail !== undefined) s.detail = detail;
    this.pendingGate = undefined;
  }

  // ---- what the steps change (the handlers' changes are in approvals.ts) ----------------------------

  /** The digest is pinned: from now on every step uses it, and visibility shows it. */
  pin(digest: string): void {
    this.digest = digest;
    this.publish();
  }

  /** A gate that waits for time or a human: shown with what moves it until the step finishes. */
  openGate(gate: PendingGate): void {
    this.pendingGate = gate;
    this.publish();
  }

  /**
   * Opens the approval gate of one environment: only now are approvals for it accepted, and the gate's
   * "needs" line follows each one. Returns the environment's approval record.
   */
  openApproval(
    environment: string,
    expiryMs: number,
    gate: (rec: ApprovalRecord) => PendingGate,
  ): ApprovalRecord {
    const rec = this.approvals[environment]!;
    rec.openedAt = now();
    rec.expiresAt = new Date(Date.now() + expiryMs).toISOString();
    this.awaitingApprovalFor = environment;
    this.onApprovalChange = () => this.openGate(gate(rec));
    this.openGate(gate(rec));
    return rec;
  }
  closeApproval(): void {
    this.awaitingApprovalFor = undefined;
    this.onApprovalChange = undefined;
  }

  /** Opens the verification gate of one environment: only now is a report for it accepted. */
  awaitReport(gate: PendingGate): void {
    this.awaitingReportFor = gate.environment;
    this.openGate(gate);
  }
  closeReport(): void {
    this.awaitingReportFor = undefined;
  }

  /** Search attributes and current details follow every stage change. */
  publish(): void {
    const attrs = {
      stage: this.stage,
      env: this.currentEnvironment,
      digest: this.digest,
    };
    // Each upsert is a history event: only send what changed.
    if (JSON.stringify(attrs) !== this.lastUpsert) {
      this.lastUpsert = JSON.stringify(attrs);
      upsertSearchAttributes([
        { key: PromotionRepository, value: this.input.repository },
        ...(isDigest(this.input.reference) ? [] : [{ key: PromotionTag, value: this.input.reference }]),
        { key: PromotionStage, value: this.stage },
        { key: PromotionEnvironment, value: this.currentEnvironment },
        ...(this.digest ? [{ key: PromotionDigest, value: this.digest }] : []),
      ]);
    }
    setCurrentDetails(this.details());
  }
  private lastUpsert = '';

  ignore(msg: Omit<IgnoredMessage, 'at'>): void {
    this.ignoredMessages.push({ ...msg, at: now() });
  }

  /** Markdown for the UI: what it waits for, and the exact command that moves it. */
  details(): string {
    const id = this.promotionId;
    const running = this.steps.find((s) => s.state === 'running' || s.state === 'waiting');
    const head = `**${this.stage}** · \`${this.input.repository}\`${this.digest ? ` @ \`${this.digest}\`` : ''} · environment **${this.currentEnvironment}**`;
    const lines = [head];
    if (this.failure)
      lines.push(
        `Failed: ${this.failure}`,
        `Start again after the fix: \`harbor-promote start ${this.input.repository}${isDigest(this.input.reference) ? '@' : ':'}${this.input.reference} --pipeline <file>\``,
      );
    else if (this.pendingGate) {
      lines.push(
        `Waiting for: ${this.pendingGate.needs}${this.pendingGate.until ? ` (until ${this.pendingGate.until})` : ''}`,
      );
      if (this.pendingGate.command) lines.push(`Move it: \`${this.pendingGate.command}\``);
    } else if (running) {
      lines.push(
        `Working: ${running.detail ?? running.id}. Nothing to do; watch with \`harbor-promote status ${id}\``,
      );
    } else if (this.stage === 'completed') lines.push(`Done. Record: \`harbor-promote status ${id}\``);
    return lines.join('\n\n');
  }

  status(): PromotionStatus {
    return {
      promotionId: this.promotionId,
      repository: this.input.repository,
      reference: this.input.reference,
      digest: this.digest,
      stage: this.stage,
      currentEnvironment: this.currentEnvironment,
      environments: this.envs.map((e) => e.name),
      steps: this.steps,
      pendingGate: this.pendingGate,
      scans: this.scans,
      approvals: this.approvals,
      verifications: this.verifications,
      ignoredMessages: this.ignoredMessages,
      failure: this.failure,
    };
  }
}
