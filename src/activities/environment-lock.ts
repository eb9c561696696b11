/**
 * Activities that talk to Temporal itself, for the environment locks: `requestEnvironment` signals the
 * environment's lock workflow and starts it when it is not running (signal-with-start: a workflow cannot
 * start another one by id with a signal, an activity can), `isWorkflowRunning` lets a lock see that its
 * holder was terminated. Both use the worker's own client (activity context), on the worker's task queue.
 */
import { Context } from '@temporalio/activity';
import { WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { environmentLockId } from '../domain/environment-lock.js';
import type { RequestEnvironmentInput, WorkflowRunRef } from './contract.js';
import {
  acquireSignal,
  ENVIRONMENT_LOCK_WORKFLOW_TYPE,
  type EnvironmentLockInput,
} from '../workflows/lock-messages.js';

export interface EnvironmentLockOptions {
  /** How often a lock with waiters checks that its holder still runs (default 60 s). */
  checkIntervalMs?: number;
  /** How long an unused lock workflow stays before it ends (default 10 min). */
  idleMs?: number;
  /** Continue-as-new threshold in events (default 2,000; tests lower it). */
  maxHistory?: number;
}

export function environmentLockActivities(opts: EnvironmentLockOptions = {}) {
  async function requestEnvironment(input: RequestEnvironmentInput): Promise<{ lockId: string }> {
    const ctx = Context.current();
    const lockId = environmentLockId(ctx.info.taskQueue, input.project, input.repository, input.overlayPath);
    const start: EnvironmentLockInput = {
      lockId,
      waiting: [],
      checkIntervalMs: opts.checkIntervalMs ?? 60_000,
      idleMs: opts.idleMs ?? 600_000,
      ...(opts.maxHistory !== undefined && { maxHistory: opts.maxHistory }),
    };
    await ctx.client.workflow.signalWithStart(ENVIRONMENT_LOCK_WORKFLOW_TYPE, {
      workflowId: lockId,
      taskQueue: ctx.info.taskQueue,
      args: [start],
      signal: acquireSignal,
      signalArgs: [input.request],
      // A lock that ended (idle) is simply started again.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `one writer at a time: ${lockId}`,
    });
    return { lockId };
  }

  async function isWorkflowRunning(input: WorkflowRunRef): Promise<{ running: boolean; status: string }> {
    try {
      const d = await Context.current().client.workflow.getHandle(input.workflowId, input.runId).describe();
      return { running: d.status.name === 'RUNNING', status: d.status.name };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { running: false, status: 'NOT_FOUND' };
      throw err;
    }
  }

  return { requestEnvironment, isWorkflowRunning };
}
