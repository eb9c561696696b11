/** Read-only looks into the GitOps bare repository: commits, their messages, an overlay file at HEAD. */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const git = async (bare: string, ...args: string[]) =>
  (await run('git', ['--git-dir', bare, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;

export async function headCommit(bare: string, branch = 'main'): Promise<string> {
  return (await git(bare, 'rev-parse', branch)).trim();
}

export async function commitCount(bare: string, branch = 'main'): Promise<number> {
  return Number((await git(bare, 'rev-list', '--count', branch)).trim());
}

export interface Commit {
  sha: string;
  message: string;
}

/** Commits on `branch` that touched `path` (newest first), with their full messages. */
export async function commitsTouching(bare: string, path: string, branch = 'main'): Promise<Commit[]> {
  const out = await git(bare, 'log', '--format=%H%x00%B%x1e', branch, '--', path);
  return out
    .split('\x1e')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [sha, message] = s.split('\x00') as [string, string];
      return { sha, message: message ?? '' };
    });
}

/** Commits whose message names `needle` (a digest or a promotion id). */
export async function commitsMentioning(bare: string, path: string, needle: string): Promise<Commit[]> {
  return (await commitsTouching(bare, path)).filter((c) => c.message.includes(needle));
}

export async function fileAtHead(bare: string, path: string, branch = 'main'): Promise<string> {
  return git(bare, 'show', `${branch}:${path}`);
}

/** Adds files (path → content) to the repository in one commit, unless each already exists. */
export async function seedFiles(
  bare: string,
  files: Record<string, string>,
  message: string,
): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'gitops-test-'));
  try {
    const g = (...args: string[]) =>
      run('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: work });
    await g('clone', '--quiet', bare, '.');
    let changed = false;
    for (const [path, content] of Object.entries(files)) {
      const file = join(work, path);
      if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      await g('add', '--', path);
      changed = true;
    }
    if (!changed) return false;
    await g('commit', '--quiet', '-m', message);
    await g('push', '--quiet', 'origin', 'HEAD:main');
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** True when `ancestor` is `commit` or one of its ancestors. */
export async function isAncestor(bare: string, ancestor: string, commit: string): Promise<boolean> {
  try {
    await run('git', ['--git-dir', bare, 'merge-base', '--is-ancestor', ancestor, commit]);
    return true;
  } catch {
    return false;
  }
}
