/**
 * Workflows run in-process in the SDK's own reusable V8 context (ReusableVMWorkflowCreator, what a Worker
 * runs with reuseV8Context), driven by hand-made activations: no server, no worker thread, so a test can
 * look into each workflow's webpack module cache (which modules creating and running it evaluated), and a
 * measurement can count the heap each cached workflow holds.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { coresdk } from '@temporalio/proto';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker.js';
// Not part of the SDK's public API: the class a Worker runs workflows in with reuseV8Context (1.24).
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm.js';

/** Activation jobs as protobufjs' fromObject takes them (numbers for int64 fields). */
type Job = Record<string, unknown>;
export type Command = coresdk.workflow_commands.IWorkflowCommand;
type Workflow = Awaited<ReturnType<ReusableVMWorkflowCreator['createWorkflow']>>;

const SILENT = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };

export function bundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: SILENT });
}

const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** One workflow in the shared context: activate it job by job, read its commands and its module cache. */
export class VmWorkflow {
  private seq = 1;
  constructor(
    readonly runId: string,
    private readonly wf: Workflow,
    private readonly replaying: boolean,
  ) {}

  async activate(jobs: Job[]): Promise<Command[]> {
    const activation = {
      runId: this.runId,
      timestamp: ts(Date.UTC(2026, 0, 1) + this.seq * 1000),
      isReplaying: this.replaying,
      historyLength: 3 * this.seq++,
      historySizeBytes: 1000,
      jobs,
    };
    const c = await this.wf.activate(coresdk.workflow_activation.WorkflowActivation.fromObject(activation));
    if (c.failed) throw new Error(`activation failed: ${c.failed.failure?.message}`);
    return c.successful?.commands ?? [];
  }

  /** Resolves the activity `seq` with `result` (what the worker's function returned). */
  resolveActivity(seq: number, result: unknown): Promise<Command[]> {
    return this.activate([
      {
        resolveActivity: {
          seq,
          result: { completed: { result: defaultPayloadConverter.toPayload(result) } },
        },
      },
    ]);
  }

  /** Answers the query `queryType` (a query handler's answer, or throws its failure). */
  async query(queryType: string): Promise<unknown> {
    const [c] = await this.activate([{ queryWorkflow: { queryId: 'q', queryType, arguments: [] } }]);
    const answer = c?.respondToQuery;
    if (!answer?.succeeded) throw new Error(`query ${queryType} failed: ${answer?.failed?.message}`);
    return defaultPayloadConverter.fromPayload(answer.succeeded.response!);
  }

  /** Ids (webpack module paths) of the modules this workflow evaluated. */
  modules(): string[] {
    const cache = (this.wf as unknown as { activator: { moduleCache: Map<string, unknown> } }).activator
      .moduleCache;
    return [...cache.keys()];
  }

  dispose(): Promise<void> {
    return this.wf.dispose();
  }
}

export class WorkflowVm {
  private constructor(private readonly creator: ReusableVMWorkflowCreator) {}

  static async create(b: WorkflowBundleWithSourceMap, activityNames: string[]): Promise<WorkflowVm> {
    return new WorkflowVm(
      await ReusableVMWorkflowCreator.create(
        parseWorkflowCode(b.code),
        5_000,
        new Set(activityNames),
        undefined,
      ),
    );
  }

  /**
   * Creates a workflow of `workflowType` and runs its first activation. `replaying`: as a worker that
   * replays a history recorded before `patches` existed (no marker, so `patched()` answers false).
   */
  async start(
    workflowType: string,
    input: unknown,
    o: { replaying?: boolean; patches?: string[] } = {},
  ): Promise<{ workflow: VmWorkflow; commands: Command[] }> {
    const runId = randomUUID();
    const now = Date.UTC(2026, 0, 1);
    const wf = await this.creator.createWorkflow({
      info: {
        workflowId: `wf-${runId}`,
        runId,
        workflowType,
        searchAttributes: {},
        taskQueue: 'vm',
        namespace: 'default',
        firstExecutionRunId: runId,
        originalExecutionRunId: runId,
        startTime: new Date(now),
        runStartTime: new Date(now),
        taskTimeoutMs: 10_000,
        attempt: 1,
        historyLength: 3,
        historySize: 1000,
        continueAsNewSuggested: false,
        unsafe: { now: () => Date.now(), isReplaying: Boolean(o.replaying), isReplayingHistoryEvents: false },
      } as unknown as Parameters<ReusableVMWorkflowCreator['createWorkflow']>[0]['info'],
      randomnessSeed: [7, 0, 0, 0, 0, 0, 0, 0],
      now,
      showStackTraceSources: false,
      failureExceptionTypeNames: [],
    } as Parameters<ReusableVMWorkflowCreator['createWorkflow']>[0]);
    const workflow = new VmWorkflow(runId, wf, Boolean(o.replaying));
    const commands = await workflow.activate([
      ...(o.patches ?? []).map((patchId) => ({ notifyHasPatch: { patchId } })),
      {
        initializeWorkflow: {
          workflowId: `wf-${runId}`,
          workflowType,
          arguments: [defaultPayloadConverter.toPayload(input)],
          randomnessSeed: 7,
          firstExecutionRunId: runId,
          attempt: 1,
          startTime: ts(now),
          workflowTaskTimeout: { seconds: 10 },
        },
      },
    ]);
    return { workflow, commands };
  }

  destroy(): Promise<void> {
    return this.creator.destroy();
  }
}
