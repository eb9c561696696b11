/**
 * One CLI invocation: settings from flags and environment, a lazy Temporal connection, the output, and
 * what every command file gets (`CommandContext`). Commands live in src/cli/commands/, one file each.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { connect, connectionSettings, type ConnectionFlags, type ConnectionSettings } from './connection.js';
import { CliError, type ErrorContext } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { failureLines, renderRecord } from './render.js';
import type { Out, Outcome } from './watch.js';

export interface CliIO extends Out {
  env: NodeJS.ProcessEnv;
}

export interface GlobalOpts extends ConnectionFlags {
  json?: boolean;
}

/** Per-invocation state: settings from flags+env, a lazy connection, the error context. */
export class Session {
  private clientPromise?: Promise<Client>;
  readonly ctx: ErrorContext = {};
  constructor(
    readonly io: CliIO,
    readonly opts: GlobalOpts,
  ) {}

  get json(): boolean {
    return Boolean(this.opts.json);
  }

  private settingsCache?: ConnectionSettings;
  get settings(): ConnectionSettings {
    if (!this.settingsCache) {
      this.settingsCache = connectionSettings(this.opts, this.io.env);
      this.ctx.address = this.settingsCache.address;
      this.ctx.namespace = this.settingsCache.namespace;
    }
    return this.settingsCache;
  }

  client(): Promise<Client> {
    const s = this.settings;
    this.clientPromise ??= connect(s).then((c) => c.client);
    return this.clientPromise;
  }

  async handle(id: string): Promise<{ client: Client; handle: WorkflowHandle }> {
    this.ctx.workflowId = id;
    const client = await this.client();
    return { client, handle: client.workflow.getHandle(id) };
  }

  print(lines: string | string[]): void {
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    this.io.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** The end of a followed promotion (`start --wait`, `watch`): a JSON event line or the readable lines. */
  printOutcome(outcome: Outcome, workflowId: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ event: 'outcome', workflowId, ...outcome })}\n`);
    else this.print(outcomeLines(outcome, workflowId));
  }

  async close(): Promise<void> {
    if (this.clientPromise) await (await this.clientPromise.catch(() => undefined))?.connection.close();
  }
}

/** Closed promotions cannot take messages: say so instead of letting the update fail obscurely. */
export async function requireRunning(handle: WorkflowHandle, what: string): Promise<void> {
  const desc = await handle.describe();
  if (desc.status.name !== 'RUNNING')
    throw new CliError(
      `promotion ${handle.workflowId} is ${desc.status.name.toLowerCase()}; there is nothing to ${what}`,
      ExitCode.REFUSED,
    );
}

/** Updates wait for a worker: bound the wait so a stopped worker gives a clear line. */
export async function withWorker<T>(
  client: Client,
  taskQueue: string,
  fn: () => Promise<T>,
  ms = 30_000,
): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    const code = (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
    if (code === 4)
      throw new CliError(
        `no worker answered within ${ms / 1000}s; is a worker running on task queue "${taskQueue}"? (start one with \`npm run worker\`)`,
        ExitCode.UNREACHABLE,
      );
    throw err;
  }
}

export function outcomeLines(o: Outcome, id: string): string[] {
  if (o.status === 'COMPLETED') return renderRecord(o.record);
  if (o.status === 'WAITING')
    return [`${id}: waiting for ${o.gate.needs}`, ...(o.gate.command ? [`  next: ${o.gate.command}`] : [])];
  if (o.status === 'FAILED') {
    const [first, fix] = failureLines(o.failure);
    return [`${id}: failed: ${first}`, ...(fix ? [`  ${fix}`] : [])];
  }
  return [`${id}: ${o.status.toLowerCase()}${o.failure ? `: ${o.failure}` : ''}`];
}

/** What one run leaves behind: the exit code actions set, and the session to close. */
export interface RunState {
  code: number;
  session?: Session;
}

/** What a command file gets from program.ts. */
export interface CommandContext {
  readonly io: CliIO;
  /** The invocation's session (created on first use, with the global options). */
  session(cmd: Command): Session;
  /** Sets the exit code (default 0; errors set theirs). */
  exit(code: number): void;
}
