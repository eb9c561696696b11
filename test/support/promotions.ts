/**
 * Promotions from tests and benchmarks: a pipeline for the local stack's three projects with timers short
 * enough for a test, starting a promotion the way the CLI does (src/workflows/start.ts: same id, summary,
 * search attributes, USE_EXISTING), waiting on its `status`, approving through the update.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PipelineFile } from '../../src/domain/pipeline';
import type { PromotionInput, PromotionRecord } from '../../src/domain/promotion';
import { approveUpdate, statusQuery, type PromotionStatus } from '../../src/workflows/messages';
import { PROMOTE_WORKFLOW_TYPE, promotionStartOptions } from '../../src/workflows/start';
import { eventually } from './temporal';

export const STAGING_OVERLAY = (service: string) =>
  `applications/overlays/k8s-staging/services/${service}/kustomization.yaml`;
export const PRODUCTION_OVERLAY = (service: string) =>
  `applications/overlays/k8s-production/services/${service}/kustomization.yaml`;

/** A kustomization.yaml like the stack seeds for myservice, for another service's overlay. */
export function kustomization(env: string, service: string, harborHost: string): string {
  return [
    `# ${service} in ${env} (seeded by a test)`,
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ../../../../base/services/${service}`,
    'images:',
    `  - name: ${service}`,
    `    newName: ${harborHost}/platform-${env}/${service}`,
    '    newTag: "0.0.0"',
    '',
  ].join('\n');
}

export interface PipelineOptions {
  registry: string;
  /** Overlay service name (its files must exist in the GitOps repo); none = no overlay step. */
  overlayService?: string;
  approvalInto?: ('staging' | 'production')[];
  approvers?: string[];
  expiry?: string;
  /** Verification command for staging and production, e.g. ['true'] or ['sleep', '3']. */
  verifyCommand?: string[];
  pollInterval?: string;
  scanTimeout?: string;
  copyStrategy?: 'harbor' | 'skopeo';
  /** Only dev → staging. */
  stagingOnly?: boolean;
}

export function stackPipeline(o: PipelineOptions): PipelineFile {
  const scan = { timeout: o.scanTimeout ?? '5m', pollInterval: o.pollInterval ?? '1s' };
  const dest = (name: 'staging' | 'production', overlayPath: (s: string) => string) => ({
    name,
    project: `platform-${name}`,
    severityThreshold: 'high' as const,
    scan,
    copyStrategy: o.copyStrategy ?? ('harbor' as const),
    ...(o.approvalInto?.includes(name) && {
      approval: { approvers: o.approvers ?? ['alice', 'bob'], required: 1, expiry: o.expiry ?? '30m' },
    }),
    ...(o.overlayService && {
      overlay: { path: overlayPath(o.overlayService), imageName: o.overlayService },
    }),
    ...(o.verifyCommand && { verification: { command: o.verifyCommand, timeout: '2m' } }),
  });
  return {
    apiVersion: 'harbor-promote/v1',
    name: 'test',
    registry: o.registry,
    environments: [
      { name: 'dev', project: 'platform-dev', severityThreshold: 'critical', scan },
      dest('staging', STAGING_OVERLAY),
      ...(o.stagingOnly ? [] : [dest('production', PRODUCTION_OVERLAY)]),
    ],
  };
}

export type PromotionHandle = WorkflowHandle<(input: PromotionInput) => Promise<PromotionRecord>>;

export async function startPromotion(
  client: Client,
  taskQueue: string,
  input: PromotionInput,
): Promise<PromotionHandle> {
  const o = promotionStartOptions(input);
  return client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: o.workflowId,
    args: o.args,
    staticSummary: o.staticSummary,
    staticDetails: o.staticDetails,
    typedSearchAttributes: o.typedSearchAttributes,
    workflowIdConflictPolicy: o.workflowIdConflictPolicy,
  }) as Promise<PromotionHandle>;
}

export function status(handle: WorkflowHandle): Promise<PromotionStatus> {
  return handle.query(statusQuery);
}

/** Waits until `status()` satisfies `pred` (queries need a live worker, so this also waits for one). */
export function waitForStatus(
  handle: WorkflowHandle,
  what: string,
  pred: (s: PromotionStatus) => boolean,
  timeoutMs = 120_000,
  everyMs = 50,
): Promise<PromotionStatus> {
  return eventually(
    `${handle.workflowId}: ${what}`,
    async () => {
      const s = await status(handle);
      if (s.stage === 'failed' && !pred(s))
        throw new FatalStatus(`${handle.workflowId} failed while waiting for ${what}: ${s.failure}`);
      return pred(s) ? s : undefined;
    },
    timeoutMs,
    everyMs,
  ).catch((e: Error) => {
    throw e;
  });
}
class FatalStatus extends Error {}

export const awaitingApproval = (env: string) => (s: PromotionStatus) =>
  s.stage === 'awaiting-approval' && s.pendingGate?.kind === 'approval' && s.pendingGate.environment === env;

export function approve(handle: WorkflowHandle, environment: string, approver = 'alice') {
  return handle.executeUpdate(approveUpdate, {
    args: [{ environment, approver, comment: 'approved by a test' }],
  });
}
