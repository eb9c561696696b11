/**
 * Where the local stack lives and which ports it uses. Everything is overridable by environment so a test
 * stack can run beside a developer's stack: STACK_DIR, STACK_TEMPORAL_PORT, STACK_TEMPORAL_UI_PORT,
 * STACK_REGISTRY_PORT, STACK_HARBOR_PORT, STACK_METRICS_PORT.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface StackConfig {
  dir: string;
  temporalPort: number;
  temporalUiPort: number;
  registryPort: number;
  harborPort: number;
  metricsPort: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name}=${raw} is not a port number: use an integer from 1 to 65535`);
  }
  return n;
}

export function stackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  return {
    dir: resolve(REPO_ROOT, env.STACK_DIR || '.data/stack'),
    temporalPort: port(env, 'STACK_TEMPORAL_PORT', 7233),
    temporalUiPort: port(env, 'STACK_TEMPORAL_UI_PORT', 8233),
    registryPort: port(env, 'STACK_REGISTRY_PORT', 5001),
    harborPort: port(env, 'STACK_HARBOR_PORT', 8080),
    metricsPort: port(env, 'STACK_METRICS_PORT', 9464),
  };
}

export const paths = (c: StackConfig) => ({
  pids: join(c.dir, 'pids'),
  logs: join(c.dir, 'logs'),
  secrets: join(c.dir, 'secrets'),
  temporalDb: join(c.dir, 'temporal.db'),
  registryData: join(c.dir, 'registry'),
  registryConfig: join(c.dir, 'registry.yml'),
  harborData: join(c.dir, 'harbor-sim'),
  gitops: join(c.dir, 'gitops.git'),
});

/** The demo accounts' secrets: random per stack, made once, kept in 0600 files. */
export const SECRET_NAMES = [
  'admin-password',
  'ci-secret',
  'promoter-secret',
  'guest-password',
  'cosign-password',
];

export function secret(c: StackConfig, name: string): string {
  const dir = paths(c).secrets;
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${name.split('-')[0]}-${randomBytes(12).toString('hex')}`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}

export function secretFile(c: StackConfig, name: string): string {
  secret(c, name);
  return join(paths(c).secrets, name);
}
