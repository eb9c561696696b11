/** up / down / status / env for the local stack; used by `npm run stack`, the demo, tests and benchmarks. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTools } from '../../scripts/tools';
import { StackConfig, paths, secret, secretFile, stackConfig } from './config';
import { SERVICES, Service, ensureCosignKey, ensureGitops } from './components';
import { assertPortFree, isOurs, readPid, startDetached, stopProcess, waitFor } from './processes';

type Say = (line: string) => void;

export interface UpOptions {
  config?: StackConfig;
  say?: Say;
}

export async function stackUp({
  config = stackConfig(),
  say = console.log,
}: UpOptions = {}): Promise<StackConfig> {
  const p = paths(config);
  mkdirSync(p.logs, { recursive: true });
  say('stack: checking the pinned tools (a first build takes several minutes) …');
  const tools = await ensureTools(undefined, true);
  for (const svc of SERVICES) {
    if (!svc.available()) {
      say(`stack: ${svc.name}: not available in this checkout, skipped`);
      continue;
    }
    const rec = readPid(p.pids, svc.name);
    if (isOurs(rec)) {
      say(`stack: ${svc.name}: already running (pid ${rec.pid})`);
      continue;
    }
    await assertPortFree(svc.port(config), svc.what, svc.portEnv);
    const spec = svc.command(config, tools);
    const pid = startDetached({ name: svc.name, pidDir: p.pids, logDir: p.logs, ...spec });
    say(`stack: ${svc.name}: started (pid ${pid}), waiting until healthy …`);
    const log = join(p.logs, `${svc.name}.log`);
    await waitFor(
      svc.what,
      async () => isOurs(readPid(p.pids, svc.name)) && svc.healthy(config, tools),
      svc.timeoutMs,
      log,
    );
    say(`stack: ${svc.name}: healthy`);
  }
  if (await ensureGitops(config)) say(`stack: gitops: seeded ${p.gitops}`);
  if (await ensureCosignKey(config, tools.cosign!)) say(`stack: cosign: key pair written to ${p.secrets}`);
  say('stack: up');
  for (const svc of SERVICES.filter((s) => s.available())) say(`  ${svc.what.padEnd(44)} ${svc.url(config)}`);
  say(`  ${'GitOps repository'.padEnd(44)} ${p.gitops}`);
  say('  shell environment:                           eval "$(npm run -s stack -- env)"');
  return config;
}

export async function stackDown({
  config = stackConfig(),
  say = console.log,
}: UpOptions = {}): Promise<void> {
  // Reverse order: harbor-sim first, so nothing talks to a registry that is already gone.
  for (const svc of [...SERVICES].reverse()) {
    const stopped = await stopProcess(paths(config).pids, svc.name);
    say(`stack: ${svc.name}: ${stopped ? 'stopped' : 'not running'}`);
  }
}

export async function stackStatus(
  config = stackConfig(),
): Promise<{ name: string; running: boolean; pid?: number; url: string }[]> {
  return SERVICES.filter((s: Service) => s.available()).map((svc) => {
    const rec = readPid(paths(config).pids, svc.name);
    const running = isOurs(rec);
    return { name: svc.name, running, pid: running ? rec.pid : undefined, url: svc.url(config) };
  });
}

const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The variables the worker, CLI and tests read (docs/CONVENTIONS.md), as name → value. */
export function stackEnv(config = stackConfig()): Record<string, string> {
  const p = paths(config);
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${config.temporalPort}`,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'harbor-promote',
    TEMPORAL_UI_URL: `http://127.0.0.1:${config.temporalUiPort}`,
    HARBOR_URL: `http://127.0.0.1:${config.harborPort}`,
    HARBOR_USERNAME: 'robot$promoter',
    HARBOR_PASSWORD_FILE: secretFile(config, 'promoter-secret'),
    HARBOR_ADMIN_USERNAME: 'admin',
    HARBOR_ADMIN_PASSWORD: secret(config, 'admin-password'),
    HARBOR_CI_USERNAME: 'robot$platform-dev+ci',
    HARBOR_CI_PASSWORD: secret(config, 'ci-secret'),
    HARBOR_GUEST_USERNAME: 'guest',
    HARBOR_GUEST_PASSWORD: secret(config, 'guest-password'),
    COSIGN_KEY_FILE: join(p.secrets, 'cosign.key'),
    COSIGN_PUBLIC_KEY_FILE: join(p.secrets, 'cosign.pub'),
    COSIGN_PASSWORD_FILE: secretFile(config, 'cosign-password'),
    GITOPS_REPO_URL: p.gitops,
    REGISTRY_URL: `http://127.0.0.1:${config.registryPort}`,
    HARBOR_SIM_DATA: p.harborData,
    WORKER_METRICS_ADDRESS: `127.0.0.1:${config.metricsPort}`,
  };
  return env;
}

export function envLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join('\n');
}

export function stackExists(config = stackConfig()): boolean {
  return existsSync(config.dir);
}
