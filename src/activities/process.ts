/**
 * Running the outside tools (cosign, skopeo, git, test commands): spawn with an argv array (never a shell),
 * a minimal environment (secrets only through files/env the caller passes), a timeout, heartbeats on an
 * interval so Temporal can deliver cancellation, and a kill of the whole process group on cancellation or
 * timeout. Output is kept as a bounded tail and redacted before it can reach an error or a log.
 */
import { spawn } from 'node:child_process';
import { asyncLocalStorage, type Context } from '@temporalio/activity';
import { Redactor } from './secrets.js';

export interface RunOptions {
  bin: string;
  args: string[];
  /** Added to the minimal base environment (PATH, LANG, TZ); the worker's own env is NOT inherited. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs: number;
  stdin?: string;
  redactor?: Redactor;
  /** Short label for heartbeats and messages, e.g. `skopeo copy`. */
  label?: string;
  heartbeatIntervalMs?: number;
  /** Bytes of stdout/stderr kept (the tail), default 64 KiB each. */
  tailBytes?: number;
  /** Grace between SIGTERM and SIGKILL, default 3 s. */
  killGraceMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  pid: number | undefined;
}

/** The program could not be started at all (missing binary, bad cwd): retrying will not help. */
export class SpawnError extends Error {
  override name = 'SpawnError';
}

/** The Temporal activity context, when running inside one (unit tests call tools without it). */
export function currentContext(): Context | undefined {
  return asyncLocalStorage.getStore();
}

export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
  };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max && this.chunks.length > 1)
      this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

export async function runProcess(opts: RunOptions): Promise<RunResult> {
  const ctx = currentContext();
  const redactor = opts.redactor ?? new Redactor();
  const label = opts.label ?? opts.bin;
  const started = Date.now();
  const stdout = new Tail(opts.tailBytes ?? 65_536);
  const stderr = new Tail(opts.tailBytes ?? 65_536);
  const env: Record<string, string> = baseEnv();
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;

  const signal = ctx?.cancellationSignal;
  if (signal?.aborted) throw signal.reason;

  // detached: the child leads its own process group, so a kill reaches its children too (test scripts).
  const child = spawn(opts.bin, opts.args, {
    cwd: opts.cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
  });
  child.stdout.on('data', (b: Buffer) => stdout.push(b));
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  child.stdin.on('error', () => undefined); // the child may exit before reading stdin
  child.stdin.end(opts.stdin ?? '');

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    killTimer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.killGraceMs ?? 3_000);
    killTimer.unref();
  };
  const timeout = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, opts.timeoutMs);
  const onAbort = () => killGroup();
  signal?.addEventListener('abort', onAbort);
  // Heartbeats carry no output (it could hold secrets), only what is running and for how long.
  const beat = ctx
    ? setInterval(
        () =>
          ctx.heartbeat({
            running: label,
            pid: child.pid,
            seconds: Math.round((Date.now() - started) / 1000),
          }),
        opts.heartbeatIntervalMs ?? 5_000,
      )
    : undefined;
  ctx?.heartbeat({ running: label, pid: child.pid });

  try {
    const { code, sig } = await new Promise<{ code: number | null; sig: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', (err: NodeJS.ErrnoException) =>
          reject(new SpawnError(`cannot start ${label} (${opts.bin}): ${err.code ?? err.message}`)),
        );
        child.once('close', (c, s) => resolve({ code: c, sig: s }));
      },
    );
    if (signal?.aborted) throw signal.reason;
    return {
      code,
      signal: sig,
      stdout: redactor.redact(stdout.toString()),
      stderr: redactor.redact(stderr.toString()),
      timedOut,
      durationMs: Date.now() - started,
      pid: child.pid,
    };
  } finally {
    clearTimeout(timeout);
    if (killTimer && child.exitCode !== null) clearTimeout(killTimer);
    if (beat) clearInterval(beat);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Last `n` lines of a text, for messages and results that must stay small. */
export function lastLines(text: string, n = 20, maxChars = 4_000): string {
  const lines = text.trimEnd().split('\n');
  const tail = lines.slice(-n).join('\n');
  return tail.length > maxChars ? tail.slice(tail.length - maxChars) : tail;
}

/** A failed tool run as an Error whose message holds the redacted stderr tail (no argv secrets exist). */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly tool: string,
    readonly result: RunResult,
    summary: string,
  ) {
    super(
      `${summary}: ${result.timedOut ? 'timed out' : `exit ${result.code ?? result.signal}`}${result.stderr ? `\n${lastLines(result.stderr)}` : ''}`,
    );
  }
}
