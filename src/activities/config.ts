/**
 * What the activities need from the worker. The worker fills it from the environment (docs/CONVENTIONS.md);
 * secrets arrive here as values or as file paths and never leave the worker process except through 0600
 * files in a private temp dir (src/activities/process.ts).
 */

/** A secret given either inline or as a file to read (e.g. HARBOR_PASSWORD vs HARBOR_PASSWORD_FILE). */
export type SecretSource = { value: string } | { file: string };

export interface ActivityConfig {
  /** Harbor base URL, e.g. `http://127.0.0.1:8080`; REST at /api/v2.0, registry at /v2 on the same host. */
  harborUrl: string;
  harborUsername: string;
  harborPassword: SecretSource;
  /**
   * Registry host as cosign/skopeo name images (`host[:port]`). Defaults to the host of harborUrl; an
   * `http:` harborUrl also turns on plain-HTTP flags for the tools.
   */
  registryHost?: string;
  /** cosign private key (PEM, `ENCRYPTED SIGSTORE PRIVATE KEY`), its password and the public key. */
  cosignKey: SecretSource;
  cosignPassword: SecretSource;
  cosignPublicKey: SecretSource;
  cosignBin: string;
  skopeoBin: string;
  gitBin?: string;
  /** GitOps repository: a bare-repo path or a URL git can push to. */
  gitopsRepoUrl: string;
  gitopsBranch?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
  /** Worker-owned scratch space (GitOps clone). Temp dirs with secrets go to os.tmpdir(), not here. */
  workDir: string;
  /** Per-request timeout for Harbor calls (default 30 s). */
  harborTimeoutMs?: number;
  /** Timeout of one cosign/skopeo run (default 10 min). */
  toolTimeoutMs?: number;
  /** Heartbeat interval while waiting on a child process or a poll (default 5 s). */
  heartbeatIntervalMs?: number;
}

/** Without COSIGN_BIN/SKOPEO_BIN the tools are found on PATH (as in the worker image). */
export const DEFAULT_TOOL_PATHS = {
  cosign: 'cosign',
  skopeo: 'skopeo',
} as const;

/** Derived, defaulted view of the config that the activity modules share. */
export interface ResolvedConfig extends Required<Omit<ActivityConfig, 'registryHost'>> {
  registryHost: string;
  /** True when Harbor speaks plain HTTP (tools need --*-tls-verify=false / --allow-http-registry). */
  plainHttp: boolean;
}

export function resolveConfig(config: ActivityConfig): ResolvedConfig {
  const url = new URL(config.harborUrl);
  return {
    gitBin: 'git',
    gitopsBranch: 'main',
    gitAuthorName: 'harbor-promote',
    gitAuthorEmail: 'harbor-promote@localhost',
    harborTimeoutMs: 30_000,
    toolTimeoutMs: 600_000,
    heartbeatIntervalMs: 5_000,
    ...stripUndefined(config),
    registryHost: config.registryHost ?? url.host,
    plainHttp: url.protocol === 'http:',
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * ActivityConfig from the environment documented in docs/CONVENTIONS.md (for the worker). `X_FILE`
 * variants are preferred to inline secrets; missing required variables are reported all at once.
 */
export function activityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ActivityConfig {
  const missing: string[] = [];
  const need = (name: string): string => {
    const v = env[name];
    if (!v) missing.push(name);
    return v ?? '';
  };
  const secret = (name: string): SecretSource => {
    if (env[`${name}_FILE`]) return { file: env[`${name}_FILE`]! };
    if (env[name] !== undefined) return { value: env[name]! };
    missing.push(`${name} or ${name}_FILE`);
    return { value: '' };
  };
  const keyFile = (name: string): SecretSource => ({ file: need(name) });
  const config: ActivityConfig = {
    harborUrl: need('HARBOR_URL'),
    harborUsername: need('HARBOR_USERNAME'),
    harborPassword: secret('HARBOR_PASSWORD'),
    registryHost: env.HARBOR_REGISTRY_HOST || undefined,
    cosignKey: keyFile('COSIGN_KEY_FILE'),
    cosignPublicKey: keyFile('COSIGN_PUBLIC_KEY_FILE'),
    cosignPassword: secret('COSIGN_PASSWORD'),
    cosignBin: env.COSIGN_BIN || DEFAULT_TOOL_PATHS.cosign,
    skopeoBin: env.SKOPEO_BIN || DEFAULT_TOOL_PATHS.skopeo,
    gitBin: env.GIT_BIN || undefined,
    gitopsRepoUrl: need('GITOPS_REPO_URL'),
    gitopsBranch: env.GITOPS_BRANCH || undefined,
    gitAuthorName: env.GIT_AUTHOR_NAME || undefined,
    gitAuthorEmail: env.GIT_AUTHOR_EMAIL || undefined,
    workDir: env.HARBOR_PROMOTE_WORK_DIR || `${env.HOME ?? '/tmp'}/.cache/harbor-promote/work`,
  };
  if (missing.length > 0) throw new Error(`missing environment for the activities: ${missing.join(', ')}`);
  return config;
}
