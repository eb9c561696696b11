/**
 * The pieces of `npm run demo`, shared with the e2e and UI tests: the stack's environment with the tool
 * paths, a demo image built without Docker and pushed by the CI robot, the demo pipeline, a worker child
 * process, the CLI run as a user would type it, and the digest table read back from Harbor.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { buildImage, type ApkPkg } from '../oci-image/build';
import { pushImage } from '../oci-image/push';
import { binaryPath, isBuilt, loadTools, TOOL_ENV } from '../../scripts/tools';
import { stackEnv } from '../stack/stack';
import { WORKER_PROCESS_ENV } from '../../src/worker/memory';
import { attestBuildEvidence, type BuildEvidence } from './build-evidence';
import type { StackConfig } from '../stack/config';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLI_BIN = join(REPO_ROOT, 'bin', 'harbor-promote.js');
export const PROJECTS = ['platform-dev', 'platform-staging', 'platform-production'] as const;

/** stackEnv plus the built tools' paths: what `eval "$(npm run -s stack -- env)"` exports. */
export function demoEnv(config: StackConfig): Record<string, string> {
  const env = stackEnv(config);
  const tools = loadTools();
  for (const [name, spec] of Object.entries(tools))
    if (isBuilt(name, spec)) env[TOOL_ENV[name]!] = binaryPath(name, tools);
  return env;
}

/** Clean packages (no advisory matches) and one with a HIGH finding (openssl CVE-2024-9143 in advisories.json). */
export const CLEAN_PACKAGES: ApkPkg[] = [
  { name: 'musl', version: '1.2.5-r0' },
  { name: 'busybox', version: '1.36.1-r29' },
  { name: 'openssl', version: '3.3.2-r1' },
  { name: 'zlib', version: '1.3.1-r1' },
];
export const VULNERABLE_PACKAGES: ApkPkg[] = [
  { name: 'musl', version: '1.2.5-r0' },
  { name: 'busybox', version: '1.36.1-r29' },
  { name: 'openssl', version: '3.3.1-r3' }, // High CVE-2024-9143, nothing Critical
  { name: 'zlib', version: '1.3.1-r1' },
];

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  /** The build evidence attested next to it (build-evidence.ts). */
  evidence: BuildEvidence[];
}

/**
 * Builds an OCI layout (a fresh nonce makes a fresh digest), pushes it to platform-dev as the CI robot and,
 * as a CI build would, attests its SPDX SBOM and SLSA provenance there with the promoter's key (`evidence`,
 * default both; `[]` for none): the demo pipeline's production `requires` them.
 */
export async function buildAndPush(
  env: Record<string, string>,
  o: {
    workDir: string;
    repository: string;
    tag: string;
    packages: ApkPkg[];
    nonce: string;
    evidence?: BuildEvidence[];
  },
): Promise<PushedImage> {
  const layout = join(o.workDir, `layout-${o.tag}`);
  rmSync(layout, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });
  await buildImage({
    out: layout,
    tag: o.tag,
    packages: o.packages,
    label: `demo ${o.repository}:${o.tag} ${o.nonce}`,
  });
  const host = new URL(env.HARBOR_URL!).host;
  const digest = await pushImage({
    layoutDir: layout,
    tag: o.tag,
    dest: `${host}/platform-dev/${o.repository}:${o.tag}`,
    username: env.HARBOR_CI_USERNAME!,
    password: env.HARBOR_CI_PASSWORD!,
    skopeoBin: env.SKOPEO_BIN,
  });
  const evidence = o.evidence ?? ['sbom', 'provenance'];
  if (evidence.length > 0)
    await attestBuildEvidence({
      cosignBin: env.COSIGN_BIN ?? binaryPath('cosign'),
      keyFile: env.COSIGN_KEY_FILE!,
      keyPassword: env.COSIGN_PASSWORD ?? readFileSync(env.COSIGN_PASSWORD_FILE!, 'utf8').trim(),
      image: `${host}/platform-dev/${o.repository}@${digest}`,
      username: env.HARBOR_CI_USERNAME!,
      password: env.HARBOR_CI_PASSWORD!,
      plainHttp: env.HARBOR_URL!.startsWith('http:'),
      kinds: evidence,
    });
  return { repository: o.repository, tag: o.tag, digest, evidence };
}

export type Scenario = 'happy' | 'quarantine';

/**
 * The demo pipeline: dev (scan gate at critical) → staging (overlay, integration tests) → production
 * (requires the signature, SBOM and provenance in staging; approval by demo-approver, overlay). For the quarantine scenario the scan gates are at critical, so a
 * HIGH finding passes them and staging's project policy (prevent_vul, severity high) quarantines it.
 */
export function demoPipeline(
  env: Record<string, string>,
  scenario: Scenario,
  approver = 'demo-approver',
  /** The approver's SSH public key line: production then requires signed approvals (README, "Signed approvals"). */
  approverKey?: string,
): string {
  const host = new URL(env.HARBOR_URL!).host;
  const tests = relative(REPO_ROOT, join(REPO_ROOT, 'dev', 'demo', 'integration-tests.sh'));
  const stagingThreshold = scenario === 'quarantine' ? 'critical' : 'high';
  return `# Written by dev/demo (scenario: ${scenario}). Format: pipelines/README.md.
apiVersion: harbor-promote/v1
name: demo-${scenario}
registry: ${host}
environments:
  - name: dev
    project: platform-dev
    severityThreshold: critical
    scan: { timeout: 5m, pollInterval: 1s }
  - name: staging
    project: platform-staging
    severityThreshold: ${stagingThreshold}
    scan: { timeout: 5m, pollInterval: 1s }
    overlay:
      path: applications/overlays/k8s-staging/services/myservice/kustomization.yaml
      imageName: myservice
    verification:
      command: ['${join(REPO_ROOT, tests)}', 'staging']
      timeout: 2m
  - name: production
    project: platform-production
    severityThreshold: high
    scan: { timeout: 5m, pollInterval: 1s }
    requires: [signature, sbom, provenance]
    approval:
      approvers: [${approver}]
      required: 1
      expiry: 1h${
        approverKey
          ? `
      allowedSigners: ['${approver} ${approverKey}']`
          : ''
      }
    overlay:
      path: applications/overlays/k8s-production/services/myservice/kustomization.yaml
      imageName: myservice
`;
}

/**
 * The demo approver's SSH key (ed25519, no passphrase, under the demo's work dir), made once with
 * ssh-keygen; undefined when ssh-keygen is not installed (the demo then approves unsigned).
 */
export function demoApproverKey(
  workDir: string,
  approver: string,
): { path: string; pub: string } | undefined {
  const path = join(workDir, `${approver}_ed25519`);
  if (!existsSync(path)) {
    mkdirSync(workDir, { recursive: true });
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', approver, '-f', path]);
    if (r.status !== 0) return undefined;
  }
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
}

export function writeFile(path: string, text: string): string {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

export interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<number | null>;
}

/** Starts `src/worker.ts` as a child (text logs to a file) and waits for "worker started". */
export async function startWorker(
  env: Record<string, string>,
  logFile: string,
  extraEnv: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<WorkerProcess> {
  mkdirSync(resolve(logFile, '..'), { recursive: true });
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'worker.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      WORKER_LOG_FORMAT: 'text',
      WORKER_SHUTDOWN_GRACE: '5s',
      ...WORKER_PROCESS_ENV, // as the Dockerfile and `npm run worker` start it
      ...env,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const onData = (c: Buffer) => {
    out.write(c);
    seen = (seen + c.toString()).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // Unref'd: a pending 30 s timer would keep the caller's process (e.g. a test file) alive after the exit.
    const code = await Promise.race([
      exited,
      sleep(30_000, undefined, { ref: false }).then(() => 'timeout' as const),
    ]);
    if (code === 'timeout') {
      child.kill('SIGKILL');
      return exited;
    }
    out.end();
    return code;
  };
  const deadline = Date.now() + timeoutMs;
  while (!/worker started/.test(seen)) {
    if (child.exitCode !== null)
      throw new Error(
        `the worker exited (${child.exitCode}) before it started:\n${seen.trim().split('\n').slice(-5).join('\n')}`,
      );
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the worker did not start within ${timeoutMs / 1000}s; see ${logFile}`);
    }
    await sleep(200);
  }
  return { child, logFile, stop };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `harbor-promote ARGS` (the package bin) with the given environment. */
export function runCliProcess(
  args: string[],
  env: Record<string, string>,
  o: { inherit?: boolean; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: o.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 128, stdout, stderr });
    });
  });
}

export interface DigestRow {
  project: string;
  digest?: string;
  signed?: boolean;
  error?: string;
}

/** Reads the artifact behind repository:tag in each project from Harbor's REST API (as admin). */
export async function digestTable(
  env: Record<string, string>,
  repository: string,
  tag: string,
  projects: readonly string[] = PROJECTS,
): Promise<DigestRow[]> {
  const auth = `Basic ${Buffer.from(`${env.HARBOR_ADMIN_USERNAME}:${env.HARBOR_ADMIN_PASSWORD}`).toString('base64')}`;
  const rows: DigestRow[] = [];
  for (const project of projects) {
    const url = `${env.HARBOR_URL}/api/v2.0/projects/${project}/repositories/${encodeURIComponent(repository)}/artifacts/${encodeURIComponent(tag)}?with_accessory=true`;
    const r = await request(url, { headers: { authorization: auth, accept: 'application/json' } });
    const text = await r.body.text();
    if (r.statusCode === 404) {
      rows.push({ project, error: 'not found' });
      continue;
    }
    if (r.statusCode !== 200) {
      rows.push({ project, error: `HTTP ${r.statusCode}` });
      continue;
    }
    const a = JSON.parse(text) as { digest: string; accessories?: { type?: string }[] | null };
    rows.push({
      project,
      digest: a.digest,
      signed: (a.accessories ?? []).some((x) => x.type === 'signature.cosign'),
    });
  }
  return rows;
}

export function formatDigestTable(rows: DigestRow[]): string[] {
  const w = Math.max(...rows.map((r) => r.project.length), 'PROJECT'.length);
  return [
    `${'PROJECT'.padEnd(w)}  ${'DIGEST'.padEnd(71)}  SIGNED`,
    ...rows.map((r) =>
      r.digest
        ? `${r.project.padEnd(w)}  ${r.digest.padEnd(71)}  ${r.signed ? 'yes' : 'no'}`
        : `${r.project.padEnd(w)}  (${r.error})`,
    ),
  ];
}

/** Contents of a file in the GitOps repository at the tip of `branch`, and the tip commit. */
export async function gitopsFile(
  repoUrl: string,
  path: string,
  branch = 'main',
): Promise<{ commit: string; subject: string; text: string }> {
  const git = (args: string[]) =>
    new Promise<string>((res, rej) => {
      const c = spawn('git', ['--git-dir', repoUrl, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('exit', (code) =>
        code === 0 ? res(out) : rej(new Error(`git ${args.join(' ')}: ${err.trim()}`)),
      );
    });
  const commit = (await git(['rev-parse', branch])).trim();
  const subject = (await git(['log', '-1', '--format=%s', branch])).trim();
  const text = await git(['show', `${branch}:${path}`]);
  return { commit, subject, text };
}

export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** What a cluster pulling the image would get: the manifest GET through Harbor's registry front. */
export async function pullCheck(
  env: Record<string, string>,
  project: string,
  repository: string,
  reference: string,
): Promise<{ status: number; message?: string }> {
  const auth = `Basic ${Buffer.from(`${env.HARBOR_ADMIN_USERNAME}:${env.HARBOR_ADMIN_PASSWORD}`).toString('base64')}`;
  const r = await request(`${env.HARBOR_URL}/v2/${project}/${repository}/manifests/${reference}`, {
    headers: {
      authorization: auth,
      accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
    },
  });
  const text = await r.body.text();
  let message: string | undefined;
  try {
    message = (JSON.parse(text) as { errors?: { message?: string }[] }).errors?.[0]?.message;
  } catch {
    /* a manifest, not an error */
  }
  return { status: r.statusCode, ...(message && { message }) };
}
