/**
 * Shared harness for workflow tests: one local Temporal server per test file (the built CLI, no
 * downloads), the workflow bundle built once, a fresh worker per test with mocked activities.
 */
import { binaryPath } from '../../scripts/tools';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { approvalActivities } from '../../src/activities/approvals.js';
import type {
  InputCheckActivities,
  PromotionActivities,
  ScanSummary,
} from '../../src/activities/contract.js';
import { inputCheckActivities } from '../../src/activities/input-check.js';
import { environmentLockActivities } from '../../src/activities/environment-lock.js';
import { RECORD_PREDICATE_TYPE, VSA_PREDICATE_TYPE } from '../../src/domain/attestation.js';
import { EVIDENCE_PREDICATE_TYPES } from '../../src/domain/evidence.js';
import type { PipelineFile } from '../../src/domain/pipeline.js';
import type { PromotionInput } from '../../src/domain/promotion.js';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { statusQuery, type PromotionStatus } from '../../src/workflows/messages.js';
import { PROMOTE_WORKFLOW_TYPE, promotionStartOptions } from '../../src/workflows/start.js';

export const DIGEST = `sha256:${'d1'.repeat(32)}`;
export const TEMPORAL_CLI = process.env.TEMPORAL_CLI ?? binaryPath('temporal');
export const WORKFLOWS_PATH = require.resolve('../../src/workflows/index.ts');

let runtimeInstalled = false;
export async function startTestEnv(): Promise<{
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') }); // the workflow's expected failures are not news
    runtimeInstalled = true;
  }
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: TEMPORAL_CLI },
        searchAttributes: PROMOTION_SEARCH_ATTRIBUTES,
      },
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
  ]);
  return { env, bundle };
}

/** A three-environment pipeline with timers in seconds; `edit` adjusts it per test. */
export function testPipeline(edit?: (p: PipelineFile) => void): PipelineFile {
  const scan = { timeout: '30s', pollInterval: '1s' }; // the shortest allowed (durationLimitProblems)
  const p: PipelineFile = {
    apiVersion: 'harbor-promote/v1',
    name: 'myservice',
    registry: 'harbor.test',
    environments: [
      { name: 'dev', project: 'platform-dev', severityThreshold: 'critical', scan },
      {
        name: 'staging',
        project: 'platform-staging',
        severityThreshold: 'high',
        scan,
        overlay: { path: 'overlays/staging/kustomization.yaml' },
        verification: { command: ['./it.sh', 'staging'], timeout: '30s' },
        soak: '500ms',
      },
      {
        name: 'production',
        project: 'platform-production',
        severityThreshold: 'high',
        scan,
        approval: { approvers: ['alice', 'bob', 'carol'], required: 1, expiry: '60s' },
        overlay: { path: 'overlays/production/kustomization.yaml' },
        verification: { external: true, timeout: '60s' },
      },
    ],
  };
  edit?.(p);
  return p;
}

export function input(pipeline: PipelineFile, extra: Partial<PromotionInput> = {}): PromotionInput {
  return { pipeline, repository: 'myservice', reference: '1.4.2-a1b2c3d', ...extra };
}

export const scanOf = (
  bySeverity: ScanSummary['bySeverity'],
  startTime = '2026-01-01T00:00:00.000Z',
): ScanSummary => ({
  reportId: `r-${startTime}`,
  status: 'Success',
  severity: 'Medium',
  startTime,
  endTime: startTime,
  total: Object.values(bySeverity).reduce((a, b) => a + (b ?? 0), 0),
  fixable: 0,
  bySeverity,
});

export const notReady = () =>
  ApplicationFailure.create({
    type: 'NotReady',
    message: 'scan still running',
    category: ApplicationFailureCategory.BENIGN,
  });

export interface Call {
  name: keyof PromotionActivities;
  input: unknown;
}

/** Activities that succeed, recording every call; override any of them per test. */
export function mockActivities(over: Partial<PromotionActivities> = {}): {
  acts: PromotionActivities;
  calls: Call[];
} {
  const calls: Call[] = [];
  const base: Omit<PromotionActivities, keyof InputCheckActivities> = {
    resolveDigest: async (i) => ({
      digest: DIGEST,
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      tags: [i.reference],
    }),
    ensureScanned: async (i) => scanOf({ Medium: 1 }, i.notBefore ?? '2026-01-01T00:00:00.000Z'),
    readProjectPolicy: async ({ project }) => ({
      project,
      autoScan: true,
      preventVulnerable: true,
      severity: 'critical',
      cosignRequired: true,
      allowlist: [],
    }),
    checkPullable: async () => ({ pullable: true }),
    copyArtifact: async (i) => ({
      digest: i.from.digest,
      copiedAt: new Date().toISOString(),
      strategy: i.strategy,
      signatureRepaired: false,
      bytesThroughWorker: 0,
    }),
    signImage: async () => ({ signed: true, signatureDigest: `sha256:${'5'.repeat(64)}` }),
    verifySignature: async () => ({ verified: true }),
    updateOverlay: async (i) => ({ changed: true, commit: `commit-${i.environment}` }),
    runVerification: async () => ({ passed: true, url: 'https://ci.test/run/1', durationMs: 12 }),
    verifyDigests: async (i) => i.artifacts.map((a) => ({ ...a, signed: true })),
    attestEnvironment: async () => ({
      predicateTypes: [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE],
      policyDigest: 'ab'.repeat(32),
      attestedAt: '2026-01-01T00:00:00.000Z',
    }),
    verifyAttestations: async (i) =>
      i.artifacts.map((a) => ({
        project: a.project,
        repository: a.repository,
        predicateTypes: [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE],
      })),
    checkEvidence: async (i) =>
      i.requires.map((kind) => ({
        kind,
        state: 'valid' as const,
        ...(kind !== 'signature' && { predicateType: EVIDENCE_PREDICATE_TYPES[kind][0] }),
      })),
    readAllowedSigners: async (i) => ({ path: i.path, text: '', commit: 'gitops-head' }),
    // The real check: pure computation, nothing to mock.
    checkApprovalSignature: approvalActivities().checkApprovalSignature,
    sendNotification: async (i) =>
      i.targets.map((t) => ({
        event: i.body.event,
        environment: i.body.environment,
        host: t.url ? new URL(t.url).host : '(env)',
        ok: true,
        status: 204,
        attempts: 1,
        signed: Boolean(t.secretEnv),
        at: new Date().toISOString(),
      })),
    readPushTime: async () => ({ found: true, pushTime: '2026-01-01T00:00:00.000Z' }),
    readOverlayPin: async () => ({}),
    // The real ones: they only talk to the test server (signal-with-start, describe).
    ...environmentLockActivities({ checkIntervalMs: 500, idleMs: 2_000 }),
  };
  // The real input checks (the worker's zod schemas), not recorded: they reach no outside system.
  const checks = inputCheckActivities();
  const acts: Record<string, unknown> = {
    checkPromotionInput: over.checkPromotionInput ?? checks.checkPromotionInput,
    checkRollbackInput: over.checkRollbackInput ?? checks.checkRollbackInput,
  };
  for (const name of Object.keys(base) as (keyof typeof base)[]) {
    const fn = (over[name] ?? base[name]) as (i: unknown) => Promise<unknown>;
    acts[name] = async (i: unknown) => {
      calls.push({ name, input: i });
      return fn(i);
    };
  }
  return { acts: acts as unknown as PromotionActivities, calls };
}

let queueSeq = 0;
/**
 * Starts a promotion with the CLI's start options on a fresh worker, runs `during` while it runs, and
 * returns the handle and how it ended. The worker stays up until both are done (queries need it).
 */
export async function runPromotion(
  ctx: { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap },
  acts: PromotionActivities,
  promotionInput: PromotionInput,
  during?: (h: WorkflowHandle) => Promise<void>,
  /** A fixed workflow id (a replay fixture whose history depends on it); default: unique per test. */
  fixedWorkflowId?: string,
): Promise<{
  handle: WorkflowHandle;
  result?: Awaited<ReturnType<typeof import('../../src/workflows/promotion.js').promoteImage>>;
  error?: unknown;
  status: PromotionStatus;
}> {
  const taskQueue = `test-${process.pid}-${++queueSeq}`;
  const worker = await Worker.create({
    connection: ctx.env.nativeConnection,
    namespace: ctx.env.namespace ?? 'default',
    taskQueue,
    workflowBundle: ctx.bundle,
    activities: acts,
  });
  const opts = promotionStartOptions(promotionInput);
  // Unique id per test: the same repository+reference is promoted by many tests against one server.
  const workflowId = fixedWorkflowId ?? `${opts.workflowId}-${taskQueue}`;
  return worker.runUntil(async () => {
    const handle = await ctx.env.client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
      ...opts,
      workflowId,
      taskQueue,
    });
    const [settled] = await Promise.all([
      handle.result().then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      during?.(handle),
    ]);
    const status = await handle.query(statusQuery);
    return { handle, status, ...settled };
  });
}

/** Polls the status query until `pred` holds (gates open asynchronously). */
export async function waitForStatus(
  h: WorkflowHandle,
  pred: (s: PromotionStatus) => boolean,
  timeoutMs = 20_000,
): Promise<PromotionStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await h.query(statusQuery);
    if (pred(s)) return s;
    if (Date.now() > until)
      throw new Error(
        `status never matched; last: ${JSON.stringify({ stage: s.stage, gate: s.pendingGate, failure: s.failure })}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const atGate = (kind: string, environment: string) => (s: PromotionStatus) =>
  s.pendingGate?.kind === kind && s.pendingGate.environment === environment;

/** The failure a workflow ended with: `{type, message}` of the ApplicationFailure under WorkflowFailedError. */
export function failureOf(error: unknown): { type?: string; message: string } {
  const cause = (error as { cause?: { type?: string; message: string } }).cause;
  if (!cause) throw new Error(`not a workflow failure: ${String(error)}`);
  return { type: cause.type, message: cause.message };
}
