/** Following a promotion: the live board on a terminal, plain lines in a pipe, NDJSON with --json. */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApplicationFailure,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { PromotionRecord } from '../domain/promotion.js';
import { statusQuery, type PromotionStatus } from '../workflows/messages.js';
import { CliError } from './errors.js';
import type { CommandContext, Session } from './session.js';
import { ExitCode } from './exit-codes.js';
import { renderStatus, retryingActivities, statusLine } from './render.js';

export interface Out {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown };
}

export type ClosedOutcome =
  | { status: 'COMPLETED'; exitCode: 0; record: PromotionRecord }
  | { status: 'FAILED'; exitCode: 1; failureType?: string; failure: string }
  | { status: 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT'; exitCode: 6; failure: string };
export type Outcome =
  | ClosedOutcome
  /** Only with `untilWaiting`: the promotion waits for a person (approval or an external report). */
  | { status: 'WAITING'; exitCode: 0; gate: NonNullable<PromotionStatus['pendingGate']> };

/** The failure as the user should read it: `<Type>: <message>` of the innermost ApplicationFailure. */
export function failureText(err: unknown): { type?: string; message: string } {
  let e: unknown = err;
  let best: { type?: string; message: string } | undefined;
  for (let i = 0; e && i < 10; i++) {
    if (e instanceof ApplicationFailure) best = { ...(e.type && { type: e.type }), message: e.message };
    e = (e as { cause?: unknown }).cause;
  }
  if (best) return best;
  const msg = err instanceof Error ? err.message : String(err);
  return { message: msg };
}

/** The final result of a closed promotion. */
export async function outcomeOf(handle: WorkflowHandle, statusName: string): Promise<ClosedOutcome> {
  try {
    const record = (await handle.result()) as PromotionRecord;
    return { status: 'COMPLETED', exitCode: 0, record };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const f = failureText(err.cause ?? err);
    if (statusName === 'FAILED')
      return {
        status: 'FAILED',
        exitCode: 1,
        ...(f.type && { failureType: f.type }),
        failure: f.type ? `${f.type}: ${f.message}` : f.message,
      };
    const status =
      (['CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const).find((s) => s === statusName) ?? 'TERMINATED';
    return { status, exitCode: 6, failure: f.message };
  }
}

/** The status query, bounded: a promotion whose worker is down must not hang the CLI. */
export async function queryStatus(
  client: Client,
  handle: WorkflowHandle,
  taskQueue: string,
  timeoutMs = 10_000,
): Promise<PromotionStatus> {
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(statusQuery));
  } catch (err) {
    const code =
      (err as { code?: number; cause?: { code?: number } }).code ??
      (err as { cause?: { code?: number } }).cause?.code;
    if (code === 4 || /deadline/i.test((err as Error).message ?? ''))
      throw new CliError(
        `no worker answered within ${Math.round(timeoutMs / 1000)}s; is a worker running on task queue "${taskQueue}"? (start one with \`npm run worker\`)`,
        ExitCode.UNREACHABLE,
      );
    throw err;
  }
}

export interface WatchOptions {
  json: boolean;
  url: string;
  taskQueue: string;
  intervalMs?: number;
  /** Give up (exit 7) after this long; default: never. */
  timeoutMs?: number;
  /** Return as soon as the promotion waits for a person (an approval, or an external verification report). */
  untilWaiting?: boolean;
}

/** Follows until the promotion closes; returns its outcome. */
export async function watchPromotion(
  client: Client,
  handle: WorkflowHandle,
  out: Out,
  opts: WatchOptions,
): Promise<Outcome> {
  const tty = Boolean(out.stdout.isTTY) && !opts.json;
  const interval = opts.intervalMs ?? 1_000;
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
  let drawn = 0;
  let last = '';
  const draw = (board: string[]) => {
    // Lines are cut to the terminal width, so the count of lines is the count of rows to go back up.
    const width = Math.max(20, (out.stdout.columns ?? 200) - 1);
    const lines = board.map((l) => ([...l].length > width ? `${[...l].slice(0, width - 1).join('')}…` : l));
    // Cursor up to the first line we drew, clear to the end of the screen, draw again.
    out.stdout.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  for (;;) {
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING') {
      const outcome = await outcomeOf(handle, desc.status.name);
      if (tty) {
        // A last board from the record or the closed workflow, if a worker can still answer.
        const st = await queryStatus(client, handle, opts.taskQueue, 3_000).catch(() => undefined);
        if (st) draw(renderStatus(st));
      }
      return outcome;
    }
    if (Date.now() > deadline)
      throw new CliError(
        `still running after ${Math.round(opts.timeoutMs! / 1000)}s; watch again with \`harbor-promote watch ${handle.workflowId}\``,
        ExitCode.STILL_RUNNING,
      );
    let st: PromotionStatus | undefined;
    try {
      st = await queryStatus(client, handle, opts.taskQueue, 10_000);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (tty) draw([`${handle.workflowId}`, `  ${err.message}`]);
      else if (last !== err.message) out.stderr.write(`${err.message}\n`);
      last = err.message;
    }
    if (st) {
      // Temporal retries activities without telling the workflow: their last failure comes from describe().
      const retrying = retryingActivities(desc.raw.pendingActivities);
      const gate = st.pendingGate;
      const human = gate && (gate.kind === 'approval' || (gate.kind === 'verification' && gate.command));
      if (opts.untilWaiting && gate && human) {
        if (tty) draw(renderStatus(st, { url: opts.url, retrying }));
        else if (!opts.json) out.stdout.write(`${statusLine(st, retrying)}\n`);
        return { status: 'WAITING', exitCode: 0, gate };
      }
      if (opts.json) {
        const key = JSON.stringify([
          st.stage,
          st.currentEnvironment,
          st.pendingGate,
          st.steps.map((s) => s.state),
          retrying.map((r) => [r.activity, r.attempt, r.lastFailure]),
        ]);
        if (key !== last)
          out.stdout.write(
            `${JSON.stringify({ event: 'status', status: st, ...(retrying.length && { retrying }) })}\n`,
          );
        last = key;
      } else if (tty) {
        draw(renderStatus(st, { url: opts.url, retrying }));
      } else {
        const line = statusLine(st, retrying);
        const key = line.slice(9); // without the clock
        if (key !== last) out.stdout.write(`${line}\n`);
        last = key;
      }
    }
    await sleep(interval);
  }
}

/**
 * What `start` and `rollback` do once the workflow is started (or found running): say so (or print
 * `json` when not waiting), then with `wait` follow it and exit with its outcome.
 */
export async function reportStarted(
  ctx: CommandContext,
  s: Session,
  client: Client,
  handle: WorkflowHandle,
  o: { running: boolean; summary: string; url: string; wait: boolean; json: Record<string, unknown> },
): Promise<void> {
  if (s.json && !o.wait) s.printJson({ ...o.json, started: !o.running, url: o.url });
  else if (!s.json)
    s.print([
      o.running
        ? `already running: ${handle.workflowId} (${o.summary}); not started twice`
        : `started ${handle.workflowId}: ${o.summary}`,
      `  UI:    ${o.url}`,
      `  watch: harbor-promote watch ${handle.workflowId}`,
    ]);
  if (!o.wait) return;
  const outcome = await watchPromotion(client, handle, ctx.io, {
    json: s.json,
    url: o.url,
    taskQueue: s.settings.taskQueue,
  });
  s.printOutcome(outcome, handle.workflowId);
  ctx.exit(outcome.exitCode);
}
