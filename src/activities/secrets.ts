/**
 * Secrets: reading them (value or file), private temp dirs for handing them to tools (0700 dir, 0600 files,
 * removed afterwards), and redaction of every known secret form from text that leaves the activity.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretSource } from './config.js';

/** Read once when the activities are created (a missing secret file should stop the worker at start). */
export function readSecret(source: SecretSource): string {
  if ('value' in source) return source.value;
  // Secret files conventionally end in a newline that is not part of the secret.
  return readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
}

/** Replaces every registered secret (and its base64 / URL-encoded forms) with `***`. */
export class Redactor {
  private readonly needles = new Set<string>();

  add(...secrets: (string | undefined)[]): this {
    for (const s of secrets) {
      if (!s || s.length < 4) continue; // too short to redact without mangling ordinary text
      this.needles.add(s);
      this.needles.add(Buffer.from(s).toString('base64').replace(/=+$/, ''));
      this.needles.add(encodeURIComponent(s));
    }
    return this;
  }

  /** Registers `user:password` the way auth files and Basic headers carry it. */
  addCredentials(username: string, password: string): this {
    this.add(password);
    const b64 = Buffer.from(`${username}:${password}`).toString('base64');
    this.needles.add(b64);
    this.needles.add(b64.replace(/=+$/, ''));
    return this;
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const n of [...this.needles].sort((a, b) => b.length - a.length)) out = out.split(n).join('***');
    return out;
  }
}

const PRIVATE_PREFIX = 'harbor-promote-';

/** Remove private dirs whose creating process is gone (a worker killed mid-run leaves its auth file). */
export function sweepStalePrivateDirs(dir = tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${PRIVATE_PREFIX}(\\d+)-`).exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A 0700 directory under os.tmpdir(); files written with mode 0600; removed by `dispose()`. */
export class PrivateDir {
  private constructor(readonly path: string) {}

  static async create(): Promise<PrivateDir> {
    // mkdtemp creates the directory with mode 0700. The pid in the name lets a later worker remove what a
    // killed one (SIGKILL, OOM) could not: see sweepStalePrivateDirs.
    return new PrivateDir(await mkdtemp(join(tmpdir(), `${PRIVATE_PREFIX}${process.pid}-`)));
  }

  async write(name: string, content: string): Promise<string> {
    const file = join(this.path, name);
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return file;
  }

  async dispose(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

export async function withPrivateDir<T>(fn: (dir: PrivateDir) => Promise<T>): Promise<T> {
  const dir = await PrivateDir.create();
  try {
    return await fn(dir);
  } finally {
    await dir.dispose();
  }
}

/** `{"auths":{"host":{"auth":"base64(user:pass)"}}}`: read by skopeo (--authfile) and cosign (DOCKER_CONFIG). */
export function authFileContent(registryHost: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  return JSON.stringify({ auths: { [registryHost]: { auth } } });
}
