/**
 * A step is one unit of the runbook: a name, the stage it shows, its run function and its done-text. The
 * runner is the only place that marks a step started/finished in the state and explains its failures, so
 * every step reports the same way and `status`, the UI and the execution follow the same table (table.ts).
 * Workflow code: deterministic, no I/O.
 */
import { isCancellation } from '@temporalio/workflow';
import type { Environment } from '../../domain/pipeline.js';
import type { StepName } from '../../domain/promotion.js';
import type { Stage } from '../messages.js';
import type { PromotionRun } from './context.js';
import { describeFailure, explain, fail, type FailureContext } from './failure.js';
import type { FailureType } from '../../domain/failures.js';

export interface StepContext {
  readonly run: PromotionRun;
  /** The environment the step acts in (a promotion-wide step gets the last one and ignores it). */
  readonly env: Environment;
  /** The environment's position in the pipeline (for field paths like `environments[2].scan`). */
  readonly index: number;
  /** The environment before this one (the copy's source); undefined for the first. */
  readonly previous?: Environment;
}

export interface RunningStep extends StepContext {
  /** Shows a later phase of this step in status and the UI (the rescan's scanning → checking). */
  restage(stage: Stage, detail: string): void;
}

export interface Step<T, P = undefined> {
  name: StepName;
  /** The stage the promotion shows while this step runs (search attribute and UI). */
  stage: Stage;
  /** `environment`: once per environment, id `<env>/<name>`; `promotion`: once, id `<name>`. */
  scope?: 'environment' | 'promotion';
  /** Whether the step is in this environment's plan (default: always). Decides plan and execution. */
  when?(env: Environment): boolean;
  /**
   * Runs before the step shows as started, for what must precede its first command (a `patched()`
   * marker comes before the stage's search-attribute upsert, as in recorded histories).
   */
  prepare?(ctx: StepContext): P;
  /** A reason not to run it this time: the step shows as skipped with this text. */
  skip?(ctx: StepContext, prepared: P): string | undefined;
  /**
   * When skipped, keep the promotion's stage: a step that older histories never had must add no stage
   * upsert to them (an upsert is a history command), so its version skip stays invisible to replay.
   */
  skipKeepsStage?: boolean;
  /** One line for status while it runs. */
  detail(ctx: StepContext, prepared: P): string;
  run(ctx: RunningStep, prepared: P): Promise<T>;
  /** One line for status when it succeeded. */
  done(result: T, ctx: StepContext): string;
  /** Keeps what later steps and the record need (after the step shows as succeeded). */
  record?(result: T, ctx: StepContext): void;
  /** Where a failure happened, for the message (activity failures are explained with it). */
  failure?(ctx: StepContext): FailureContext & {
    /** A failure of this type gets this advice appended. */
    advice?: { type: FailureType; text: string };
  };
}

/** A step with its types erased, as the table holds it. */
export interface StepUnit {
  readonly name: StepName;
  readonly stage: Stage;
  readonly scope: 'environment' | 'promotion';
  when(env: Environment): boolean;
  execute(ctx: StepContext): Promise<void>;
}

export function defineStep<T, P = undefined>(s: Step<T, P>): StepUnit {
  return {
    name: s.name,
    stage: s.stage,
    scope: s.scope ?? 'environment',
    when: (env) => s.when?.(env) ?? true,
    execute: (ctx) => runStep(s, ctx),
  };
}

export function stepId(unit: Pick<StepUnit, 'name' | 'scope'>, env: Environment): string {
  return unit.scope === 'promotion' ? unit.name : `${env.name}/${unit.name}`;
}

/** Marks the step in status, runs it, and on failure says where (the one `explain` of every step). */
async function runStep<T, P>(s: Step<T, P>, ctx: StepContext): Promise<void> {
  const st = ctx.run.st;
  const scope = s.scope ?? 'environment';
  const id = stepId({ name: s.name, scope }, ctx.env);
  const envName = scope === 'promotion' ? undefined : ctx.env.name;
  const prepared = s.prepare ? s.prepare(ctx) : (undefined as P);
  const skipped = s.skip?.(ctx, prepared);
  if (skipped !== undefined) {
    st.start(id, s.skipKeepsStage ? st.stage : s.stage, envName, skipped);
    st.finish(id, 'skipped', skipped);
    return;
  }
  st.start(id, s.stage, envName, s.detail(ctx, prepared));
  let result: T;
  try {
    result = await s.run(
      { ...ctx, restage: (stage, detail) => st.start(id, stage, envName, detail) },
      prepared,
    );
  } catch (err) {
    const f = s.failure?.(ctx);
    let e = f ? explain(err, f) : err;
    const failed = describeFailure(e).message;
    if (f?.advice && (e as { type?: string }).type === f.advice.type)
      e = fail(f.advice.type, `${(e as Error).message} ${f.advice.text}`, err as Error);
    st.finish(id, isCancellation(err) ? 'cancelled' : 'failed', failed);
    throw e;
  }
  st.finish(id, 'succeeded', s.done(result, ctx));
  s.record?.(result, ctx);
}
