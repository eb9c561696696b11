/** up / down / status / env for the local stack; used by `npm run stack`, the demo, tests and benchmarks. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTools } from '../../scripts/tools';
import { ensureHarbor } from '../harbor-real/build';
import { seedRealHarbor } from '../harbor-real/seed';
import { T, scannerAdapter } from '../harbor-real/services';
import { ensureSystemPackages } from '../harbor-real/system';
import {
  HARBOR_KINDS,
  StackConfig,
  TEMPORAL_KINDS,
  harborKindFile,
  paths,
  secret,
  secretFile,
  stackConfig,
  temporalKindFile,
} from './config';
import { Service, ensureCosignKey, ensureGitops, servicesOf } from './components';
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
  await assertSameHarborKind(config);
  await assertSameTemporalKind(config);
  if (config.harbor === 'real') Object.assign(tools, await realHarborTools(config, say));
  if (config.temporal === 'postgres') Object.assign(tools, await temporalPostgresTools(config, say));
  writeFileSync(harborKindFile(config.dir), `${config.harbor}\n`);
  writeFileSync(temporalKindFile(config.dir), `${config.temporal}\n`);
  for (const svc of servicesOf(config)) {
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
    await svc.prepare?.(config, tools);
    const spec = svc.command(config, tools);
    const pid = startDetached({ name: svc.name, pidDir: p.pids, logDir: p.logs, ...spec });
    say(`stack: ${svc.name}: started (pid ${pid}), waiting until healthy …`);
    const log = join(p.logs, `${svc.name}.log`);
    await waitFor(
      svc.what,
      async () => isOurs(readPid(p.pids, svc.name)) && svc.healthy(config, tools),
      svc.timeoutMs,
      log,
      () => isOurs(readPid(p.pids, svc.name)),
    );
    say(`stack: ${svc.name}: healthy`);
    if (svc.afterHealthy) {
      await svc.afterHealthy(config, tools);
      say(`stack: ${svc.name}: set up`);
    }
  }
  if (config.harbor === 'real') await seedReal(config, say);
  if (await ensureGitops(config)) say(`stack: gitops: seeded ${p.gitops}`);
  if (await ensureCosignKey(config, tools.cosign!)) say(`stack: cosign: key pair written to ${p.secrets}`);
  say('stack: up');
  for (const svc of servicesOf(config).filter((s) => s.available()))
    say(`  ${svc.what.padEnd(44)} ${svc.url(config)}`);
  say(`  ${'GitOps repository'.padEnd(44)} ${p.gitops}`);
  if (config.temporal === 'postgres')
    say('  Temporal UI: not part of this mode (use `temporal workflow …` or `harbor-promote status`)');
  say('  shell environment:                           eval "$(npm run -s stack -- env)"');
  return config;
}

export async function stackDown({
  config = stackConfig(),
  say = console.log,
}: UpOptions = {}): Promise<void> {
  // Reverse order: Harbor first, so nothing talks to a registry or database that is already gone. Services
  // of the other Harbor and Temporal kinds are stopped too (quietly), in case the stack directory switched.
  const mine = [...servicesOf(config)].reverse();
  const other: Service[] = [];
  for (const harbor of HARBOR_KINDS)
    for (const temporal of TEMPORAL_KINDS)
      for (const s of [...servicesOf({ ...config, harbor, temporal })].reverse())
        if (!mine.includes(s) && !other.includes(s)) other.push(s);
  for (const svc of mine) {
    const stopped = await stopProcess(paths(config).pids, svc.name);
    say(`stack: ${svc.name}: ${stopped ? 'stopped' : 'not running'}`);
  }
  for (const svc of other) {
    if (await stopProcess(paths(config).pids, svc.name)) say(`stack: ${svc.name}: stopped`);
  }
}

/** PostgreSQL and Redis from Debian packages, Harbor built from source: paths for the services' commands. */
async function realHarborTools(config: StackConfig, say: Say): Promise<Record<string, string>> {
  say('stack: real Harbor: PostgreSQL and Redis (Debian packages) …');
  const sys = await ensureSystemPackages(say);
  say('stack: real Harbor: checking the Harbor v2.15.2 build (a first build takes about 5 minutes) …');
  const b = await ensureHarbor(true);
  return {
    [T.core]: b.core,
    [T.jobservice]: b.jobservice,
    [T.htpasswd]: b.htpasswd,
    [T.home]: b.home,
    [T.initdb]: sys.initdb,
    [T.postgres]: sys.postgres,
    [T.psql]: sys.psql,
    [T.redis]: sys.redisServer,
  };
}

/** temporal-server and temporal-sql-tool (built on first use of this mode) and PostgreSQL's binaries. */
async function temporalPostgresTools(config: StackConfig, say: Say): Promise<Record<string, string>> {
  say(
    'stack: Temporal on PostgreSQL: checking temporal-server v1.29.1 (a first build takes a few minutes) …',
  );
  const built = await ensureTools(['temporal-server', 'temporal-sql-tool'], true);
  const sys = await ensureSystemPackages(say, {
    redis: config.harbor === 'real',
    who: 'Temporal on PostgreSQL',
  });
  return { ...built, [T.initdb]: sys.initdb, [T.postgres]: sys.postgres, [T.psql]: sys.psql };
}

async function seedReal(config: StackConfig, say: Say): Promise<void> {
  say('stack: real Harbor: seeding projects, robots, guest and scanner through the REST API …');
  const started = Date.now();
  await seedRealHarbor(
    {
      url: `http://127.0.0.1:${config.harborPort}`,
      adminPassword: secret(config, 'admin-password'),
      ciSecret: secret(config, 'ci-secret'),
      promoterSecret: secret(config, 'promoter-secret'),
      guestPassword: secret(config, 'guest-password'),
      scannerUrl: scannerAdapter.available() ? scannerAdapter.url(config) : undefined,
    },
    (l) => say(`stack: ${l}`),
  );
  say(`stack: real Harbor: seeded in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** `up` with another Harbor kind than the one running in this stack directory: refuse, say how to switch. */
async function assertSameHarborKind(config: StackConfig): Promise<void> {
  const file = harborKindFile(config.dir);
  const before = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (!before || before === config.harbor) return;
  const other = { ...config, harbor: before === 'real' ? ('real' as const) : ('sim' as const) };
  // Services both kinds share (Temporal, and PostgreSQL when Temporal runs on it) do not count.
  const shared = new Set(servicesOf(config).map((s) => s.name));
  const running = (await stackStatus(other)).some((s) => s.running && !shared.has(s.name));
  if (running) {
    throw new Error(
      `the stack in ${config.dir} runs Harbor kind "${before}", not "${config.harbor}": ` +
        `run \`npm run stack -- down\` first (same STACK_DIR), then up again`,
    );
  }
}

/** `up` with another Temporal kind than the one running in this stack directory: refuse, say how to switch. */
async function assertSameTemporalKind(config: StackConfig): Promise<void> {
  const file = temporalKindFile(config.dir);
  const before = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (!before || before === config.temporal) return;
  const other = { ...config, temporal: before === 'postgres' ? ('postgres' as const) : ('dev' as const) };
  const running = (await stackStatus(other)).some(
    (s) => s.running && (s.name === 'temporal' || s.name === 'temporal-server'),
  );
  if (running) {
    throw new Error(
      `the stack in ${config.dir} runs Temporal kind "${before}", not "${config.temporal}": ` +
        `run \`npm run stack -- down\` first (same STACK_DIR), then up again`,
    );
  }
}

export async function stackStatus(
  config = stackConfig(),
): Promise<{ name: string; running: boolean; pid?: number; url: string }[]> {
  return servicesOf(config)
    .filter((s: Service) => s.available())
    .map((svc) => {
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
    // With real Harbor: the registry behind core (htpasswd-protected; only core talks to it).
    REGISTRY_URL: `http://127.0.0.1:${config.harbor === 'real' ? config.harborRegistryPort : config.registryPort}`,
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
