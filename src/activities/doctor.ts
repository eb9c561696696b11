/**
 * runDoctor: gathers, with the worker's own credentials, the facts `harbor-promote doctor` judges
 * (src/domain/doctor.ts decides). Secrets never leave the worker: the report holds only check lines.
 * Read-only everywhere: Harbor is only read (HEAD/GET), the GitOps branch is fetched into a temp dir that is
 * removed afterwards, and cosign only derives the public key from the private one.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureType } from '../domain/failures.js';
import {
  diagnose,
  type DoctorFacts,
  type DoctorInput,
  type DoctorReport,
  type ProjectFacts,
  type ToolFacts,
} from '../domain/doctor.js';
import { PipelineError, validatePipeline, type Pipeline } from '../domain/pipeline.js';
import { HarborInspector, reason } from '../harbor/inspect.js';
import { checkHarbor, StartupError } from '../worker/preflight.js';
import type { Deps } from './deps.js';
import { nonRetryable } from './failures.js';
import { runProcess, type RunResult } from './process.js';
import { toProjectPolicy } from './scan.js';
import { withPrivateDir } from './secrets.js';

/** The URL without credentials, for messages (a GitOps URL may carry a token). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? '***' : '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@'); // scp-like or a path: only strip a userinfo part
  }
}

const firstLine = (r: RunResult) => (r.stdout.trim() || r.stderr.trim()).split('\n')[0]?.slice(0, 200);

export function doctorActivities(d: Deps) {
  const { cfg } = d;
  const inspector = new HarborInspector(d.conn);

  async function run(bin: string, args: string[], env: Record<string, string> = {}, cwd?: string) {
    return runProcess({
      bin,
      args,
      env,
      ...(cwd && { cwd }),
      timeoutMs: 60_000,
      redactor: d.redactor,
      label: `${bin} ${args[0] ?? ''}`,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    });
  }

  async function harborFacts(): Promise<DoctorFacts['harbor']> {
    const base = { url: cfg.harborUrl, username: cfg.harborUsername };
    try {
      const { version } = await checkHarbor(
        cfg.harborUrl,
        cfg.harborUsername,
        d.secrets.harborPassword,
        cfg.harborTimeoutMs,
      );
      return { ...base, version };
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      return err.exitCode === 3 ? { ...base, unreachable: err.message } : { ...base, rejected: err.message };
    }
  }

  async function projectFacts(project: string): Promise<ProjectFacts> {
    const f: ProjectFacts = {};
    try {
      f.exists = await inspector.projectExists(project);
    } catch (err) {
      f.policyError = reason(err);
    }
    if (f.exists === false) return f;
    let id: number | undefined;
    try {
      const p = await inspector.getProject(project);
      id = p.project_id;
      const { autoScan, preventVulnerable, severity, cosignRequired } = toProjectPolicy(
        project,
        p.metadata,
        undefined,
        undefined,
        Date.now(),
      );
      f.policy = { autoScan, preventVulnerable, severity, cosignRequired };
    } catch (err) {
      f.policyError = reason(err);
    }
    if (id !== undefined)
      try {
        f.permissions = await inspector.projectPermissions(id);
      } catch (err) {
        f.permissionsError = reason(err);
      }
    else f.permissionsError = `the project id is unknown (${f.policyError ?? 'no answer'})`;
    try {
      f.scanner = await inspector.projectScanner(project);
    } catch (err) {
      f.scannerError = reason(err);
    }
    return f;
  }

  /** Fetch the branch into a throwaway repository and look for each overlay and keys file (no clone kept, no push). */
  async function gitopsFacts(pipeline: Pipeline): Promise<DoctorFacts['gitops']> {
    const paths = pipeline.environments.flatMap((e) => [
      ...(e.overlay ? [e.overlay.path] : []),
      ...(e.approval?.allowedSignersFile !== undefined ? [e.approval.allowedSignersFile] : []),
    ]);
    if (paths.length === 0) return undefined;
    const g = {
      url: displayUrl(cfg.gitopsRepoUrl),
      branch: cfg.gitopsBranch,
      files: {} as Record<string, boolean>,
    };
    const dir = await mkdtemp(join(tmpdir(), 'harbor-promote-doctor-'));
    const env = { HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    try {
      const init = await run(cfg.gitBin, ['init', '--quiet', '--bare', dir], env, dir);
      if (init.code !== 0) return { ...g, unreachable: `git init: ${firstLine(init)}` };
      const fetch = await run(
        cfg.gitBin,
        ['fetch', '--quiet', '--depth=1', cfg.gitopsRepoUrl, `refs/heads/${cfg.gitopsBranch}`],
        env,
        dir,
      );
      if (fetch.code !== 0)
        return { ...g, unreachable: displayUrl(firstLine(fetch) ?? `git fetch exited ${fetch.code}`) };
      for (const p of paths) {
        const r = await run(cfg.gitBin, ['cat-file', '-e', `FETCH_HEAD:${p}`], env, dir);
        g.files[p] = r.code === 0;
      }
      return g;
    } catch (err) {
      return { ...g, unreachable: (err as Error).message };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `cosign public-key --key` derives the public half (the password opens the key); compare it with the configured one. */
  async function cosignFacts(): Promise<DoctorFacts['cosign']> {
    try {
      return await withPrivateDir(async (dir) => {
        const keyFile =
          'file' in d.secrets.cosignKey
            ? d.secrets.cosignKey.file
            : await dir.write('cosign.key', d.secrets.cosignKey.pem);
        const pub =
          'file' in d.secrets.cosignPublicKey
            ? await readFile(d.secrets.cosignPublicKey.file, 'utf8')
            : d.secrets.cosignPublicKey.pem;
        const r = await run(cfg.cosignBin, ['public-key', '--key', keyFile], {
          HOME: dir.path,
          COSIGN_PASSWORD: d.secrets.cosignPassword,
        });
        if (r.code !== 0)
          return {
            match: false,
            error: /decrypt|password/i.test(r.stderr)
              ? 'COSIGN_PASSWORD does not open COSIGN_KEY_FILE'
              : `cosign public-key failed: ${firstLine(r)}`,
          };
        const norm = (s: string) => s.replace(/\s+/g, '');
        return { match: norm(r.stdout).includes(norm(pub)) && norm(pub).length > 0 };
      });
    } catch (err) {
      return { match: false, error: (err as Error).message };
    }
  }

  async function toolFacts(): Promise<ToolFacts[]> {
    const tools: [ToolFacts['name'], string, string[]][] = [
      ['cosign', cfg.cosignBin, ['version']],
      ['skopeo', cfg.skopeoBin, ['--version']],
      ['git', cfg.gitBin, ['--version']],
    ];
    return Promise.all(
      tools.map(async ([name, bin, args]) => {
        try {
          const r = await run(bin, args, { HOME: tmpdir() });
          if (r.code === 0) {
            const v = r.stdout.match(/GitVersion:\s*(\S+)/)?.[1] ?? firstLine(r);
            return { name, bin, ...(v && { version: v }) };
          }
          return { name, bin, error: `exit ${r.code}: ${firstLine(r) ?? ''}` };
        } catch (err) {
          return { name, bin, error: (err as Error).message };
        }
      }),
    );
  }

  async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
    let pipeline: Pipeline;
    try {
      pipeline = validatePipeline(input.pipeline);
    } catch (err) {
      if (err instanceof PipelineError) throw nonRetryable(FailureType.InvalidInput, err.message);
      throw err;
    }
    const all = input.scope !== 'pipeline';
    const harbor = await harborFacts();
    const projects: Record<string, ProjectFacts> = {};
    if (!harbor.unreachable && !harbor.rejected)
      for (const e of pipeline.environments) projects[e.project] = await projectFacts(e.project);
    const [gitops, cosign, tools] = await Promise.all([
      gitopsFacts(pipeline),
      all ? cosignFacts() : undefined,
      all ? toolFacts() : undefined,
    ]);
    return diagnose(pipeline, {
      harbor,
      projects,
      ...(gitops && { gitops }),
      ...(cosign && { cosign }),
      ...(tools && { tools }),
    });
  }

  return { runDoctor };
}
