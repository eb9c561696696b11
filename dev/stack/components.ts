/**
 * The services of the local stack, in start order: Temporal dev server, OCI registry, harbor-sim (or, with
 * real Harbor, the services of dev/harbor-real/services.ts); plus the things that are files rather than
 * processes: the GitOps bare repository and the cosign key pair.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { REAL_HARBOR_SERVICES, postgres } from '../harbor-real/services';
import { REPO_ROOT, StackConfig, paths, secret } from './config';
import { temporalServer } from './temporal-postgres';

const run = promisify(execFile);

export interface Service {
  name: string;
  what: string;
  port: (c: StackConfig) => number;
  portEnv: string;
  url: (c: StackConfig) => string;
  /** Present when the service can run here (harbor-sim only once its code exists). */
  available: () => boolean;
  /** Files and one-time set-up the service needs before it starts (config files, a database cluster). */
  prepare?: (c: StackConfig, tools: Record<string, string>) => Promise<void>;
  command: (
    c: StackConfig,
    tools: Record<string, string>,
  ) => { command: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string; marker: string };
  healthy: (c: StackConfig, tools: Record<string, string>) => Promise<boolean>;
  /** One-time set-up through the running service (e.g. a Temporal namespace), after it is healthy. */
  afterHealthy?: (c: StackConfig, tools: Record<string, string>) => Promise<void>;
  timeoutMs: number;
}

async function httpOk(url: string, expect?: (body: string, status: number) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const body = await res.text();
  return expect ? expect(body, res.status) : res.ok;
}

export const temporal: Service = {
  name: 'temporal',
  what: 'Temporal frontend',
  port: (c) => c.temporalPort,
  portEnv: 'STACK_TEMPORAL_PORT',
  url: (c) => `http://127.0.0.1:${c.temporalUiPort}`,
  available: () => true,
  command: (c, tools) => ({
    command: tools.temporal!,
    marker: paths(c).temporalDb,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(c.temporalPort),
      '--ui-port',
      String(c.temporalUiPort),
      '--db-filename',
      paths(c).temporalDb,
      '--dynamic-config-value',
      'frontend.enableServerVersionCheck=false',
      '--log-level',
      'warn',
      ...PROMOTION_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
    ],
  }),
  healthy: async (c, tools) => {
    const { stdout } = await run(tools.temporal!, [
      'operator',
      'cluster',
      'health',
      '--address',
      `127.0.0.1:${c.temporalPort}`,
    ]);
    return stdout.includes('SERVING') && (await httpOk(`http://127.0.0.1:${c.temporalUiPort}/`));
  },
  timeoutMs: 60_000,
};

export const registry: Service = {
  name: 'registry',
  what: 'OCI registry',
  port: (c) => c.registryPort,
  portEnv: 'STACK_REGISTRY_PORT',
  url: (c) => `http://127.0.0.1:${c.registryPort}/v2/`,
  available: () => true,
  command: (c, tools) => {
    const p = paths(c);
    mkdirSync(p.registryData, { recursive: true });
    // distribution's own config format; delete enabled so harbor-sim can remove artifacts like Harbor does.
    writeFileSync(
      p.registryConfig,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${p.registryData}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${c.registryPort}`,
        '',
      ].join('\n'),
    );
    return { command: tools.registry!, args: ['serve', p.registryConfig], marker: p.registryConfig };
  },
  healthy: (c) => httpOk(`http://127.0.0.1:${c.registryPort}/v2/`),
  timeoutMs: 20_000,
};

const HARBOR_SIM_MAIN = join(REPO_ROOT, 'dev', 'harbor-sim', 'main.ts');

export const harborSim: Service = {
  name: 'harbor-sim',
  what: 'harbor-sim (Harbor API and registry front)',
  port: (c) => c.harborPort,
  portEnv: 'STACK_HARBOR_PORT',
  url: (c) => `http://127.0.0.1:${c.harborPort}`,
  available: () => existsSync(HARBOR_SIM_MAIN),
  command: (c) => ({
    command: process.execPath,
    marker: HARBOR_SIM_MAIN,
    args: [
      '--import',
      'tsx',
      HARBOR_SIM_MAIN,
      '--listen',
      `127.0.0.1:${c.harborPort}`,
      '--registry',
      `http://127.0.0.1:${c.registryPort}`,
      '--data',
      paths(c).harborData,
    ],
    env: {
      ...process.env,
      HARBOR_SIM_ADMIN_PASSWORD: secret(c, 'admin-password'),
      HARBOR_SIM_CI_SECRET: secret(c, 'ci-secret'),
      HARBOR_SIM_PROMOTER_SECRET: secret(c, 'promoter-secret'),
      HARBOR_SIM_GUEST_PASSWORD: secret(c, 'guest-password'),
    },
  }),
  healthy: (c) =>
    httpOk(`http://127.0.0.1:${c.harborPort}/api/v2.0/ping`, (b, s) => s === 200 && b.includes('Pong')),
  timeoutMs: 30_000,
};

export const SERVICES = [temporal, registry, harborSim];

/**
 * The services of a stack of the given kinds, in start order. With Temporal on PostgreSQL, PostgreSQL
 * starts first and the server replaces the dev server; real Harbor then uses the same cluster.
 */
export function servicesOf(c: StackConfig): Service[] {
  const harbor = c.harbor === 'real' ? REAL_HARBOR_SERVICES : [registry, harborSim];
  if (c.temporal === 'postgres') return [postgres, temporalServer, ...harbor.filter((s) => s !== postgres)];
  return [temporal, ...harbor];
}

export const OVERLAY_ENVIRONMENTS = ['staging', 'production'];
export const overlayPath = (env: string) =>
  `applications/overlays/k8s-${env}/services/myservice/kustomization.yaml`;

/** A bare repository seeded with one kustomization.yaml per environment, as a real GitOps repo would be. */
export async function ensureGitops(c: StackConfig): Promise<boolean> {
  const bare = paths(c).gitops;
  if (existsSync(join(bare, 'HEAD'))) return false;
  mkdirSync(dirname(bare), { recursive: true });
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const work = mkdtempSync(join(tmpdir(), 'gitops-seed-'));
  try {
    const git = (...args: string[]) =>
      run(
        'git',
        ['-c', 'user.name=harbor-promote stack', '-c', 'user.email=stack@harbor-promote.local', ...args],
        {
          cwd: work,
        },
      );
    await git('init', '--quiet', '--initial-branch=main');
    for (const env of OVERLAY_ENVIRONMENTS) {
      const file = join(work, overlayPath(env));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(
        file,
        [
          `# myservice in ${env}. harbor-promote sets images[].newTag and digest on each promotion.`,
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          '  - ../../../../base/services/myservice',
          'images:',
          '  - name: myservice # the name used in the base manifests',
          `    newName: 127.0.0.1:${c.harborPort}/platform-${env}/myservice`,
          '    newTag: "1.4.1"',
          '',
        ].join('\n'),
      );
    }
    await git('add', '.');
    await git('commit', '--quiet', '-m', 'Seed overlays for myservice');
    await git('push', '--quiet', bare, 'main');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return true;
}

/** The promoter's cosign key pair, encrypted with the stack's cosign password. */
export async function ensureCosignKey(c: StackConfig, cosign: string): Promise<boolean> {
  const dir = paths(c).secrets;
  if (existsSync(join(dir, 'cosign.key'))) return false;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // cosign asks before overwriting, so it writes into an empty directory first.
  const tmp = mkdtempSync(join(dir, 'keygen-'));
  try {
    await run(cosign, ['generate-key-pair', '--output-key-prefix', join(tmp, 'cosign')], {
      env: { ...process.env, COSIGN_PASSWORD: secret(c, 'cosign-password') },
    });
    renameSync(join(tmp, 'cosign.pub'), join(dir, 'cosign.pub'));
    renameSync(join(tmp, 'cosign.key'), join(dir, 'cosign.key'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}
