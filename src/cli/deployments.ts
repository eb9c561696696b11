/**
 * What was deployed into one environment of one repository, read from Temporal: the records (workflow
 * results) of completed promotions and rollbacks, found by a visibility query on PromotionRepository, and
 * the status of the newest ones that did not complete: a promotion that wrote the overlay and then failed
 * its verification still decides what the overlay points at.
 */
import type { Client } from '@temporalio/client';
import type { PromotionRecord } from '../domain/promotion.js';
import { deploymentFromRecord, deploymentFromStatus, type Deployment } from '../domain/rollback.js';
import { statusQuery } from '../workflows/messages.js';
import { ROLLBACK_WORKFLOW_TYPE } from '../workflows/rollback-start.js';
import { PromotionRepository } from '../workflows/search-attributes.js';
import { PROMOTE_WORKFLOW_TYPE } from '../workflows/start.js';

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Promotions and rollbacks of one repository (both write overlays). */
export function deploymentQuery(repository: string, completed: boolean): string {
  return [
    `(WorkflowType = ${quote(PROMOTE_WORKFLOW_TYPE)} OR WorkflowType = ${quote(ROLLBACK_WORKFLOW_TYPE)})`,
    `${PromotionRepository.name} = ${quote(repository)}`,
    `ExecutionStatus ${completed ? '=' : '!='} 'Completed'`,
  ].join(' AND ');
}

export interface DeploymentHistory {
  deployments: Deployment[];
  /** Completed workflows read. */
  read: number;
  /** Unfinished workflows whose status no worker answered (they may have written the overlay). */
  unreadable: string[];
}

export interface HistoryLimits {
  /** Completed promotions and rollbacks read, newest first. */
  completed?: number;
  /** Unfinished ones whose status is asked (a query each, answered by a worker). */
  unfinished?: number;
  queryTimeoutMs?: number;
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export async function deploymentsInto(
  client: Client,
  repository: string,
  environment: string,
  limits: HistoryLimits = {},
): Promise<DeploymentHistory> {
  const { completed = 200, unfinished = 20, queryTimeoutMs = 5_000 } = limits;
  const list = async (done: boolean, max: number) => {
    const rows: { workflowId: string; runId: string; type: string }[] = [];
    for await (const wf of client.workflow.list({
      query: deploymentQuery(repository, done),
      pageSize: Math.min(max, 100),
    })) {
      rows.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type });
      if (rows.length >= max) break;
    }
    return rows;
  };
  const [done, open] = await Promise.all([list(true, completed), list(false, unfinished)]);
  const fromRecords = await inBatches(done, 16, async (wf) => {
    const record = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as PromotionRecord;
    return deploymentFromRecord(record, environment, wf.workflowId);
  });
  const unreadable: string[] = [];
  const fromStatus = await Promise.all(
    open.map(async (wf) => {
      const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
      try {
        const st = await client.connection.withDeadline(Date.now() + queryTimeoutMs, () =>
          handle.query(statusQuery),
        );
        const kind = wf.type === ROLLBACK_WORKFLOW_TYPE ? 'rollback' : 'promotion';
        return deploymentFromStatus(st, environment, wf.workflowId, kind);
      } catch {
        unreadable.push(wf.workflowId);
        return undefined;
      }
    }),
  );
  const deployments = [...fromRecords, ...fromStatus].filter((d): d is Deployment => d !== undefined);
  return { deployments, read: done.length, unreadable };
}
