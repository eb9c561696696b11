/**
 * Background processes of the local stack: started detached in their own process group, tracked by PID
 * files, stopped by group. A PID file is trusted only while /proc says the process still runs the command
 * we started, so `down` never signals a stranger that reused the PID.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface PidRecord {
  pid: number;
  marker: string;
}

export function readPid(pidDir: string, name: string): PidRecord | undefined {
  const file = join(pidDir, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** True when the PID runs and its command line still contains our marker (e.g. the binary path). */
export function isOurs(rec: PidRecord | undefined): rec is PidRecord {
  if (!rec) return false;
  try {
    const cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0').join(' ');
    return cmdline.includes(rec.marker);
  } catch {
    return false;
  }
}

export function startDetached(opts: {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  pidDir: string;
  logDir: string;
  marker: string;
}): number {
  mkdirSync(opts.pidDir, { recursive: true });
  mkdirSync(opts.logDir, { recursive: true });
  const log = openSync(join(opts.logDir, `${opts.name}.log`), 'a');
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
  child.unref();
  const rec: PidRecord = { pid: child.pid, marker: opts.marker };
  writeFileSync(join(opts.pidDir, `${opts.name}.pid`), JSON.stringify(rec));
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the process group, SIGKILL after the grace period. Returns false when nothing of ours ran. */
export async function stopProcess(pidDir: string, name: string, graceMs = 10_000): Promise<boolean> {
  const rec = readPid(pidDir, name);
  const file = join(pidDir, `${name}.pid`);
  if (!isOurs(rec)) {
    rmSync(file, { force: true });
    return false;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurs(rec) && Date.now() < deadline) await sleep(100);
  if (isOurs(rec)) signal('SIGKILL');
  while (isOurs(rec)) await sleep(50);
  rmSync(file, { force: true });
  return true;
}

/** Resolves when nothing listens on 127.0.0.1:port; throws a message that names the port and the fix. */
export function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${port} (${what}) is already in use by another process: stop it, or choose another port with ${envVar}=<port>`,
          ),
        );
      } else reject(err);
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * Polls `check` until it returns true; fails naming the service and its log file. With `alive`, a process
 * that exits while we wait fails at once with the end of its log, instead of after the whole timeout.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  log: string,
  alive?: () => boolean,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (alive && !alive()) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
      throw new Error(`${what} exited while starting; see ${log}${tail ? `:\n${tail}` : ''}`);
    }
    await sleep(250);
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000}s; see ${log}`);
}
