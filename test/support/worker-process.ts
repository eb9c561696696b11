/**
 * The worker as a real process (`node --import tsx src/worker.ts`), the way users run it: started with an
 * environment, ready once its poller shows up on the task queue, killed with SIGKILL (the whole process
 * group, as when a container or host dies: cosign/skopeo/git children die with it), restarted, measured.
 * Output is kept in memory and appended to a log file so a failing test can show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { REPO_ROOT } from '../../dev/stack/config';
import { WORKER_PROCESS_ENV } from '../../src/worker/memory';
import { childEnv, type Env } from './env';
import { pollerIdentities, sleep } from './temporal';

/**
 * The worker entry: src/worker.ts, or HARBOR_PROMOTE_WORKER_ENTRY. While src/worker.ts does not exist yet
 * (the tree is being written), the same pieces assembled in test/support/dev-worker.ts stand in.
 */
export const WORKER_ENTRY = resolve(
  REPO_ROOT,
  process.env.HARBOR_PROMOTE_WORKER_ENTRY ??
    (existsSync(resolve(REPO_ROOT, 'src/worker.ts')) ? 'src/worker.ts' : 'test/support/dev-worker.ts'),
);

export interface WorkerOptions {
  env: Env;
  /** Overrides TEMPORAL_TASK_QUEUE (each chaos scenario gets its own queue and worker). */
  taskQueue?: string;
  /** Extra variables (e.g. a distinctive secret file for the secrets proof). */
  extraEnv?: Env;
  logFile?: string;
  name?: string;
}

export class WorkerProcess {
  private child?: ChildProcess;
  private out = '';
  private exited?: Promise<number | null>;
  readonly taskQueue: string;
  starts = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.taskQueue = opts.taskQueue ?? opts.env.TEMPORAL_TASK_QUEUE ?? 'harbor-promote';
    if (opts.logFile) mkdirSync(dirname(opts.logFile), { recursive: true });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Everything the worker printed (stdout and stderr), across restarts. */
  output(): string {
    return this.out;
  }

  private record(chunk: Buffer | string) {
    const s = chunk.toString();
    this.out += s;
    if (this.opts.logFile) appendFileSync(this.opts.logFile, s);
  }

  /** Spawns the worker and resolves once Temporal lists its poller; rejects if it exits first. */
  async start(client: Client, timeoutMs = 90_000): Promise<void> {
    if (this.running) throw new Error('worker already running');
    this.starts++;
    this.record(
      `\n--- ${this.opts.name ?? 'worker'} start #${this.starts} (${new Date().toISOString()}) ---\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: REPO_ROOT,
      // No metrics endpoint unless asked for: several workers of a suite would fight over the stack's port.
      env: childEnv(this.opts.env, {
        ...WORKER_PROCESS_ENV, // as the Dockerfile and `npm run worker` start it
        WORKER_METRICS_ADDRESS: '',
        TEMPORAL_TASK_QUEUE: this.taskQueue,
        ...this.opts.extraEnv,
      }),
      detached: true, // own process group: kill9() takes the tool children down with it
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (c) => this.record(c));
    child.stderr!.on('data', (c) => this.record(c));
    this.exited = new Promise((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
    const pid = child.pid!;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`worker exited during start-up (code ${child.exitCode}):\n${this.out.slice(-3000)}`);
      const ids = await pollerIdentities(client, this.taskQueue).catch(() => []);
      if (ids.some((id) => new RegExp(`(^|\\D)${pid}(\\D|$)`).test(id))) return;
      await sleep(250);
    }
    throw new Error(
      `worker (pid ${pid}) did not poll ${this.taskQueue} within ${timeoutMs / 1000}s:\n${this.out.slice(-3000)}`,
    );
  }

  /** SIGKILL to the worker's process group; resolves when the worker is gone. */
  async kill9(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid || !this.running) return;
    this.record(`\n--- kill -9 (${new Date().toISOString()}) ---\n`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await this.exited;
  }

  /** Graceful stop (SIGTERM); SIGKILL after `graceMs`. Returns the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    const pid = this.child?.pid;
    if (!pid || !this.running) return this.child?.exitCode ?? null;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    const code = await this.exited!;
    clearTimeout(timer);
    return code;
  }

  async restart(client: Client): Promise<void> {
    await this.kill9();
    await this.start(client);
  }

  /** The worker's live descendants (tool children: cosign, skopeo, git), by walking /proc. */
  descendants(): number[] {
    return this.pid ? descendantsOf(this.pid) : [];
  }

  /** Resident memory of the worker process alone (VmRSS), in bytes. */
  rssBytes(): number {
    return this.pid ? rssOf(this.pid) : 0;
  }
}

/** Parent → children map of every process we can see. */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(name));
      map.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  return map;
}

export function descendantsOf(pid: number): number[] {
  const map = childrenMap();
  const out: number[] = [];
  const stack = [...(map.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(map.get(p) ?? []));
  }
  return out;
}

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** argv of a process as one string (NUL separators become spaces); empty when it is gone. */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
