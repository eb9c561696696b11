/**
 * The worker's configuration: environment variables, validated by zod. Secrets come as VALUE or as
 * VALUE_FILE (Docker/Kubernetes secrets); files are checked for readability at start, read by the
 * activities when needed, and never logged. `WORKER_ENV` documents every variable (README "Configuration").
 */
import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import type { ActivityConfig, SecretSource } from '../activities/config.js';
import { DURATION_PATTERN, durationMs } from '../domain/duration.js';
import { temporalTlsFlag, temporalTlsOn } from '../temporal/connection.js';

/** Every variable the worker reads, with its meaning: the schema's keys, the README table, the compose check. */
export const WORKER_ENV = {
  TEMPORAL_ADDRESS: 'Temporal frontend host:port (default 127.0.0.1:7233)',
  TEMPORAL_NAMESPACE: 'Temporal namespace (default "default")',
  TEMPORAL_TASK_QUEUE: 'task queue to poll (default harbor-promote); the CLI must use the same',
  TEMPORAL_TLS: '1 to connect with TLS (implied by the other TEMPORAL_TLS_* and TEMPORAL_API_KEY)',
  TEMPORAL_TLS_CERT: 'client certificate file for mTLS',
  TEMPORAL_TLS_KEY: 'client key file for mTLS',
  TEMPORAL_TLS_CA: 'CA certificate file of the server',
  TEMPORAL_TLS_SERVER_NAME: 'TLS server name override',
  TEMPORAL_API_KEY: 'API key (Temporal Cloud); or TEMPORAL_API_KEY_FILE',
  TEMPORAL_API_KEY_FILE: 'file holding the API key',
  HARBOR_URL:
    'Harbor base URL, e.g. https://harbor.example.com (REST at /api/v2.0, registry at /v2) — required',
  HARBOR_USERNAME: 'the promoter robot account, e.g. robot$promoter — required',
  HARBOR_PASSWORD: "the robot's secret; or HARBOR_PASSWORD_FILE — one of them required",
  HARBOR_PASSWORD_FILE: "file holding the robot's secret",
  HARBOR_REGISTRY_HOST: 'registry host[:port] as tools name images (default: the host of HARBOR_URL)',
  HARBOR_TIMEOUT: 'per-request timeout for Harbor calls (default 30s)',
  COSIGN_KEY_FILE:
    'cosign private key (ENCRYPTED SIGSTORE PRIVATE KEY PEM); or COSIGN_KEY with the PEM — required',
  COSIGN_KEY: 'cosign private key PEM (inline)',
  COSIGN_PUBLIC_KEY_FILE: 'cosign public key; or COSIGN_PUBLIC_KEY with the PEM — required',
  COSIGN_PUBLIC_KEY: 'cosign public key PEM (inline)',
  COSIGN_PASSWORD:
    'password of the cosign key; or COSIGN_PASSWORD_FILE — one of them required (may be empty)',
  COSIGN_PASSWORD_FILE: 'file holding the cosign key password',
  COSIGN_BIN: 'cosign binary (default: cosign on PATH)',
  SKOPEO_BIN: 'skopeo binary (default: skopeo on PATH)',
  GIT_BIN: 'git binary (default: git on PATH)',
  GITOPS_REPO_URL: 'GitOps repository (a path or a URL git can push to) — required',
  GITOPS_BRANCH: 'branch to commit overlays to (default main)',
  GIT_AUTHOR_NAME: 'commit author name (default harbor-promote)',
  GIT_AUTHOR_EMAIL: 'commit author e-mail (default harbor-promote@localhost)',
  TOOL_TIMEOUT: 'timeout of one cosign/skopeo run (default 10m)',
  WORKER_WORK_DIR: 'scratch directory for GitOps clones (default $TMPDIR/harbor-promote-worker)',
  WORKER_METRICS_ADDRESS: 'host:port for the Prometheus endpoint /metrics (unset: no metrics endpoint)',
  WORKER_LOG_LEVEL: 'TRACE, DEBUG, INFO, WARN or ERROR (default INFO)',
  WORKER_LOG_FORMAT: 'json (one object per line, default) or text',
  WORKER_SHUTDOWN_GRACE:
    'on SIGTERM, how long running activities may finish before they are cancelled (default 30s)',
  WORKER_MAX_CONCURRENT_ACTIVITIES: 'parallel activities (caps parallel skopeo/cosign runs; default 8)',
  WORKER_MAX_CACHED_WORKFLOWS:
    'workflows kept in memory (default 50); a parked promotion beyond it is replayed from history when it wakes',
  WORKER_IDENTITY: 'worker identity shown in Temporal (default pid@hostname)',
  WORKER_WORKFLOW_BUNDLE:
    'prebuilt workflow bundle (Dockerfile builds one); unset: bundle src/workflows at start, in a child process',
  WORKER_PREFLIGHT: '0 to skip the start-up checks of Temporal, Harbor and the tools (default 1)',
} as const;

export type WorkerEnvName = keyof typeof WORKER_ENV;

const opt = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s === '' ? undefined : s));
const duration = (name: string, fallback: string) =>
  opt.pipe(
    z
      .string()
      .regex(DURATION_PATTERN, { error: `${name} is not a duration; write e.g. 30s, 10m or 1h30m` })
      .default(fallback),
  );
const hostPort = (name: string) =>
  z.string().regex(/^[^\s/:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, {
    error: `${name} must be host:port, e.g. 127.0.0.1:7233 (no scheme)`,
  });

export const WorkerEnvSchema = z
  .object({
    TEMPORAL_ADDRESS: opt.pipe(hostPort('TEMPORAL_ADDRESS').default('127.0.0.1:7233')),
    TEMPORAL_NAMESPACE: opt.pipe(z.string().default('default')),
    TEMPORAL_TASK_QUEUE: opt.pipe(z.string().default('harbor-promote')),
    TEMPORAL_TLS: opt.pipe(
      z.enum(['0', '1', 'true', 'false'], { error: 'TEMPORAL_TLS must be 1 or 0' }).optional(),
    ),
    TEMPORAL_TLS_CERT: opt,
    TEMPORAL_TLS_KEY: opt,
    TEMPORAL_TLS_CA: opt,
    TEMPORAL_TLS_SERVER_NAME: opt,
    TEMPORAL_API_KEY: opt,
    TEMPORAL_API_KEY_FILE: opt,
    HARBOR_URL: opt.pipe(
      z.url({
        protocol: /^https?$/,
        error: 'HARBOR_URL must be the http(s) base URL of Harbor, e.g. https://harbor.example.com',
      }),
    ),
    HARBOR_USERNAME: opt.pipe(
      z.string({ error: 'HARBOR_USERNAME is required (the promoter robot, e.g. robot$promoter)' }),
    ),
    HARBOR_PASSWORD: z.string().optional(),
    HARBOR_PASSWORD_FILE: opt,
    HARBOR_REGISTRY_HOST: opt.pipe(
      hostPort('HARBOR_REGISTRY_HOST')
        .or(z.string().regex(/^[a-z0-9.-]+$/))
        .optional(),
    ),
    HARBOR_TIMEOUT: duration('HARBOR_TIMEOUT', '30s'),
    COSIGN_KEY_FILE: opt,
    COSIGN_KEY: opt,
    COSIGN_PUBLIC_KEY_FILE: opt,
    COSIGN_PUBLIC_KEY: opt,
    COSIGN_PASSWORD: z.string().optional(),
    COSIGN_PASSWORD_FILE: opt,
    COSIGN_BIN: opt.pipe(z.string().default('cosign')),
    SKOPEO_BIN: opt.pipe(z.string().default('skopeo')),
    GIT_BIN: opt.pipe(z.string().default('git')),
    GITOPS_REPO_URL: opt.pipe(
      z.string({ error: 'GITOPS_REPO_URL is required (the GitOps repository path or URL)' }),
    ),
    GITOPS_BRANCH: opt.pipe(z.string().default('main')),
    GIT_AUTHOR_NAME: opt.pipe(z.string().default('harbor-promote')),
    GIT_AUTHOR_EMAIL: opt.pipe(z.string().default('harbor-promote@localhost')),
    TOOL_TIMEOUT: duration('TOOL_TIMEOUT', '10m'),
    WORKER_WORK_DIR: opt.pipe(z.string().default(join(tmpdir(), 'harbor-promote-worker'))),
    WORKER_METRICS_ADDRESS: opt.pipe(hostPort('WORKER_METRICS_ADDRESS').optional()),
    WORKER_LOG_LEVEL: opt.pipe(
      z
        .string()
        .transform((s) => s.toUpperCase())
        .pipe(
          z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], {
            error: 'WORKER_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR',
          }),
        )
        .default('INFO'),
    ),
    WORKER_LOG_FORMAT: opt.pipe(
      z.enum(['json', 'text'], { error: 'WORKER_LOG_FORMAT must be json or text' }).default('json'),
    ),
    WORKER_SHUTDOWN_GRACE: duration('WORKER_SHUTDOWN_GRACE', '30s'),
    WORKER_MAX_CONCURRENT_ACTIVITIES: opt.pipe(
      z
        .string()
        .regex(/^[1-9]\d{0,3}$/, {
          error: 'WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number from 1 to 9999',
        })
        .default('8'),
    ),
    WORKER_MAX_CACHED_WORKFLOWS: opt.pipe(
      z
        .string()
        .regex(/^\d{1,5}$/, { error: 'WORKER_MAX_CACHED_WORKFLOWS must be a whole number from 0 to 99999' })
        .default('50'),
    ),
    WORKER_IDENTITY: opt,
    WORKER_WORKFLOW_BUNDLE: opt,
    WORKER_PREFLIGHT: opt.pipe(z.enum(['0', '1', 'true', 'false']).default('1')),
  } satisfies Record<WorkerEnvName, z.ZodType>)
  .superRefine((e, ctx) => {
    const oneOf = (a: WorkerEnvName, b: WorkerEnvName, what: string, allowEmpty = false) => {
      const va = e[a as keyof typeof e];
      const vb = e[b as keyof typeof e];
      const has = (v: unknown) => v !== undefined && (allowEmpty || v !== '');
      if (has(va) && has(vb))
        ctx.addIssue({
          code: 'custom',
          path: [a],
          message: `${a} and ${b} are both set; keep one (${what})`,
        });
      else if (!has(va) && !has(vb))
        ctx.addIssue({ code: 'custom', path: [a], message: `${a} or ${b} is required (${what})` });
    };
    oneOf('HARBOR_PASSWORD', 'HARBOR_PASSWORD_FILE', "the Harbor robot's secret");
    oneOf('COSIGN_KEY_FILE', 'COSIGN_KEY', 'the cosign private key');
    oneOf('COSIGN_PUBLIC_KEY_FILE', 'COSIGN_PUBLIC_KEY', 'the cosign public key');
    oneOf('COSIGN_PASSWORD', 'COSIGN_PASSWORD_FILE', 'the cosign key password', true);
    if (e.TEMPORAL_API_KEY && e.TEMPORAL_API_KEY_FILE)
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_API_KEY'],
        message: 'TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE are both set; keep one',
      });
    if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY))
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS_CERT'],
        message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together; set both or neither',
      });
  });

export type WorkerEnv = z.output<typeof WorkerEnvSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid worker configuration: ${problems.join('; ')}`);
  }
}

export interface WorkerConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls?: { certFile?: string; keyFile?: string; caFile?: string; serverName?: string };
    apiKey?: SecretSource;
  };
  activities: ActivityConfig;
  metricsAddress?: string;
  logLevel: WorkerEnv['WORKER_LOG_LEVEL'];
  logFormat: WorkerEnv['WORKER_LOG_FORMAT'];
  shutdownGraceMs: number;
  maxConcurrentActivities: number;
  maxCachedWorkflows: number;
  identity?: string;
  workflowBundle?: string;
  preflight: boolean;
}

/** Validation only (no file system): used by the worker and by the compose-file test. */
export function parseWorkerEnv(
  env: NodeJS.ProcessEnv,
): { ok: true; env: WorkerEnv } | { ok: false; problems: string[] } {
  const picked = Object.fromEntries(Object.keys(WORKER_ENV).map((k) => [k, env[k]]));
  const r = WorkerEnvSchema.safeParse(picked);
  if (r.success) return { ok: true, env: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      // Messages name their variable already, except zod's generic ones.
      return i.message.includes(key) ? i.message : `${key}: ${i.message}`;
    }),
  };
}

const secret = (value: string | undefined, file: string | undefined): SecretSource =>
  file !== undefined ? { file } : { value: value ?? '' };

/** Finds a binary the way a shell would (absolute/relative path, or a name on PATH). */
export function findExecutable(bin: string, pathVar = process.env.PATH ?? ''): string | undefined {
  const candidates = bin.includes('/')
    ? [bin]
    : pathVar
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Validates the environment and the files it names; throws ConfigError listing every problem. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env, checkFiles = true): WorkerConfig {
  const parsed = parseWorkerEnv(env);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  const e = parsed.env;
  const problems: string[] = [];
  if (checkFiles) {
    const files: [WorkerEnvName, string | undefined][] = [
      ['HARBOR_PASSWORD_FILE', e.HARBOR_PASSWORD_FILE],
      ['COSIGN_KEY_FILE', e.COSIGN_KEY_FILE],
      ['COSIGN_PUBLIC_KEY_FILE', e.COSIGN_PUBLIC_KEY_FILE],
      ['COSIGN_PASSWORD_FILE', e.COSIGN_PASSWORD_FILE],
      ['TEMPORAL_API_KEY_FILE', e.TEMPORAL_API_KEY_FILE],
      ['TEMPORAL_TLS_CERT', e.TEMPORAL_TLS_CERT],
      ['TEMPORAL_TLS_KEY', e.TEMPORAL_TLS_KEY],
      ['TEMPORAL_TLS_CA', e.TEMPORAL_TLS_CA],
      ['WORKER_WORKFLOW_BUNDLE', e.WORKER_WORKFLOW_BUNDLE],
    ];
    for (const [name, file] of files) {
      if (file === undefined) continue;
      try {
        accessSync(file, constants.R_OK);
      } catch (err) {
        problems.push(
          `${name}=${file} cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path or the mount`,
        );
      }
    }
    for (const [name, bin] of [
      ['COSIGN_BIN', e.COSIGN_BIN],
      ['SKOPEO_BIN', e.SKOPEO_BIN],
      ['GIT_BIN', e.GIT_BIN],
    ] as const) {
      if (!findExecutable(bin))
        problems.push(
          `${name}=${bin} is not an executable file${bin.includes('/') ? '' : ' on PATH'}; install it or set ${name} (\`npm run tools -- build\` builds the pinned versions)`,
        );
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const tlsOn = temporalTlsOn({
    flag: temporalTlsFlag(e.TEMPORAL_TLS),
    certPath: e.TEMPORAL_TLS_CERT,
    keyPath: e.TEMPORAL_TLS_KEY,
    caPath: e.TEMPORAL_TLS_CA,
    serverName: e.TEMPORAL_TLS_SERVER_NAME,
    apiKey: Boolean(e.TEMPORAL_API_KEY || e.TEMPORAL_API_KEY_FILE),
  });
  const apiKey = e.TEMPORAL_API_KEY_FILE
    ? { file: e.TEMPORAL_API_KEY_FILE }
    : e.TEMPORAL_API_KEY
      ? { value: e.TEMPORAL_API_KEY }
      : undefined;
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      ...(tlsOn && {
        tls: {
          ...(e.TEMPORAL_TLS_CERT && { certFile: e.TEMPORAL_TLS_CERT }),
          ...(e.TEMPORAL_TLS_KEY && { keyFile: e.TEMPORAL_TLS_KEY }),
          ...(e.TEMPORAL_TLS_CA && { caFile: e.TEMPORAL_TLS_CA }),
          ...(e.TEMPORAL_TLS_SERVER_NAME && { serverName: e.TEMPORAL_TLS_SERVER_NAME }),
        },
      }),
      ...(apiKey && { apiKey }),
    },
    activities: {
      harborUrl: e.HARBOR_URL,
      harborUsername: e.HARBOR_USERNAME,
      harborPassword: secret(e.HARBOR_PASSWORD, e.HARBOR_PASSWORD_FILE),
      ...(e.HARBOR_REGISTRY_HOST && { registryHost: e.HARBOR_REGISTRY_HOST }),
      cosignKey: secret(e.COSIGN_KEY, e.COSIGN_KEY_FILE),
      cosignPublicKey: secret(e.COSIGN_PUBLIC_KEY, e.COSIGN_PUBLIC_KEY_FILE),
      cosignPassword: secret(e.COSIGN_PASSWORD, e.COSIGN_PASSWORD_FILE),
      cosignBin: findExecutable(e.COSIGN_BIN) ?? e.COSIGN_BIN,
      skopeoBin: findExecutable(e.SKOPEO_BIN) ?? e.SKOPEO_BIN,
      gitBin: e.GIT_BIN,
      gitopsRepoUrl: e.GITOPS_REPO_URL,
      gitopsBranch: e.GITOPS_BRANCH,
      gitAuthorName: e.GIT_AUTHOR_NAME,
      gitAuthorEmail: e.GIT_AUTHOR_EMAIL,
      workDir: e.WORKER_WORK_DIR,
      harborTimeoutMs: durationMs(e.HARBOR_TIMEOUT),
      toolTimeoutMs: durationMs(e.TOOL_TIMEOUT),
    },
    ...(e.WORKER_METRICS_ADDRESS && { metricsAddress: e.WORKER_METRICS_ADDRESS }),
    logLevel: e.WORKER_LOG_LEVEL,
    logFormat: e.WORKER_LOG_FORMAT,
    shutdownGraceMs: durationMs(e.WORKER_SHUTDOWN_GRACE),
    maxConcurrentActivities: Number(e.WORKER_MAX_CONCURRENT_ACTIVITIES),
    maxCachedWorkflows: Number(e.WORKER_MAX_CACHED_WORKFLOWS),
    ...(e.WORKER_IDENTITY && { identity: e.WORKER_IDENTITY }),
    ...(e.WORKER_WORKFLOW_BUNDLE && { workflowBundle: e.WORKER_WORKFLOW_BUNDLE }),
    preflight: e.WORKER_PREFLIGHT === '1' || e.WORKER_PREFLIGHT === 'true',
  };
}
