/**
 * Where the local stack lives and which ports it uses. Everything is overridable by environment so a test
 * stack can run beside a developer's stack: STACK_DIR, STACK_TEMPORAL_PORT, STACK_TEMPORAL_UI_PORT,
 * STACK_REGISTRY_PORT, STACK_HARBOR_PORT, STACK_METRICS_PORT; with real Harbor (STACK_HARBOR=real or
 * `up --harbor real`, remembered in $STACK_DIR/harbor-kind) also STACK_HARBOR_REGISTRY_PORT,
 * STACK_JOBSERVICE_PORT, STACK_POSTGRES_PORT, STACK_REDIS_PORT, STACK_SCANNER_PORT. With Temporal on
 * PostgreSQL (STACK_TEMPORAL=postgres or `up --temporal postgres`, remembered in $STACK_DIR/temporal-kind)
 * the server uses STACK_TEMPORAL_PORT and the ten ports above it, and STACK_POSTGRES_PORT.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Which Harbor the stack runs: the stand-in (default) or Harbor v2.15.2 built from source. */
export type HarborKind = 'sim' | 'real';
export const HARBOR_KINDS: readonly HarborKind[] = ['sim', 'real'];

/** Which Temporal the stack runs: the CLI's dev server on SQLite (default) or temporal-server on PostgreSQL. */
export type TemporalKind = 'dev' | 'postgres';
export const TEMPORAL_KINDS: readonly TemporalKind[] = ['dev', 'postgres'];

export interface StackConfig {
  dir: string;
  harbor: HarborKind;
  temporal: TemporalKind;
  temporalPort: number;
  temporalUiPort: number;
  registryPort: number;
  harborPort: number;
  metricsPort: number;
  /** Real Harbor only: the registry behind core, jobservice, Redis, the scanner adapter; PostgreSQL also
   * for Temporal on PostgreSQL. */
  harborRegistryPort: number;
  jobservicePort: number;
  postgresPort: number;
  redisPort: number;
  scannerPort: number;
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

export function parseHarborKind(raw: string, from: string): HarborKind {
  if ((HARBOR_KINDS as readonly string[]).includes(raw)) return raw as HarborKind;
  throw new Error(
    `${from}=${raw} is not a Harbor kind: use sim (harbor-sim) or real (Harbor v2.15.2 from source)`,
  );
}

export const harborKindFile = (dir: string) => join(dir, 'harbor-kind');

export function parseTemporalKind(raw: string, from: string): TemporalKind {
  if ((TEMPORAL_KINDS as readonly string[]).includes(raw)) return raw as TemporalKind;
  throw new Error(
    `${from}=${raw} is not a Temporal kind: use dev (the Temporal CLI's dev server on SQLite) or postgres ` +
      `(temporal-server v1.29.1 on PostgreSQL)`,
  );
}

export const temporalKindFile = (dir: string) => join(dir, 'temporal-kind');

/** STACK_TEMPORAL wins; otherwise what `up` remembered for this stack directory; otherwise the dev server. */
function temporalKind(env: NodeJS.ProcessEnv, dir: string): TemporalKind {
  if (env.STACK_TEMPORAL) return parseTemporalKind(env.STACK_TEMPORAL, 'STACK_TEMPORAL');
  const file = temporalKindFile(dir);
  if (existsSync(file)) return parseTemporalKind(readFileSync(file, 'utf8').trim(), file);
  return 'dev';
}

/** STACK_HARBOR wins; otherwise what `up` remembered for this stack directory; otherwise harbor-sim. */
function harborKind(env: NodeJS.ProcessEnv, dir: string): HarborKind {
  if (env.STACK_HARBOR) return parseHarborKind(env.STACK_HARBOR, 'STACK_HARBOR');
  const file = harborKindFile(dir);
  if (existsSync(file)) return parseHarborKind(readFileSync(file, 'utf8').trim(), file);
  return 'sim';
}

export function stackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const dir = resolve(REPO_ROOT, env.STACK_DIR || '.data/stack');
  return {
    dir,
    harbor: harborKind(env, dir),
    temporal: temporalKind(env, dir),
    temporalPort: port(env, 'STACK_TEMPORAL_PORT', 7233),
    temporalUiPort: port(env, 'STACK_TEMPORAL_UI_PORT', 8233),
    registryPort: port(env, 'STACK_REGISTRY_PORT', 5001),
    harborPort: port(env, 'STACK_HARBOR_PORT', 8080),
    metricsPort: port(env, 'STACK_METRICS_PORT', 9464),
    harborRegistryPort: port(env, 'STACK_HARBOR_REGISTRY_PORT', 5101),
    jobservicePort: port(env, 'STACK_JOBSERVICE_PORT', 8181),
    postgresPort: port(env, 'STACK_POSTGRES_PORT', 5433),
    redisPort: port(env, 'STACK_REDIS_PORT', 6380),
    scannerPort: port(env, 'STACK_SCANNER_PORT', 8282),
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
  harborReal: join(c.dir, 'harbor-real'),
  temporalPostgres: join(c.dir, 'temporal-postgres'),
});

/**
 * The demo accounts' secrets: random per stack, made once, kept in 0600 files. Each has an upper-case
 * letter, lower-case letters and digits, because real Harbor refuses passwords and robot secrets without
 * all three.
 */
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
    const prefix = name.split('-')[0]!;
    const value = `${prefix[0]!.toUpperCase()}${prefix.slice(1)}-${randomBytes(12).toString('hex')}7`;
    writeFileSync(file, value, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}

export function secretFile(c: StackConfig, name: string): string {
  secret(c, name);
  return join(paths(c).secrets, name);
}
