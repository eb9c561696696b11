/**
 * The services of the real-Harbor stack, in start order after Temporal: PostgreSQL, Redis, the pinned
 * distribution registry behind core (htpasswd, as Harbor's registry/config.yml template), Harbor core,
 * Harbor jobservice, and the scanner adapter. Settings are the ones of Harbor's own templates
 * (make/photon/prepare/templates/{core,jobservice,registry}) with loopback addresses and files under
 * $STACK_DIR/harbor-real. Secrets are per stack, in 0600 files, and reach the servers through the
 * environment or 0600 config files, never argv.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Service } from '../stack/components';
import { REPO_ROOT, StackConfig, paths, secret } from '../stack/config';
import { HARBOR_VERSION } from './build';
import { asPostgresUser, chownToPostgres } from './system';

const run = promisify(execFile);

/** Keys under which stackUp passes the built binaries in `tools`. */
export const T = {
  core: 'harbor_core',
  jobservice: 'harbor_jobservice',
  htpasswd: 'stack_htpasswd',
  home: 'harbor_home',
  initdb: 'initdb',
  postgres: 'postgres',
  psql: 'psql',
  redis: 'redis_server',
} as const;

export const REGISTRY_USER = 'harbor_registry_user';

export function realPaths(c: StackConfig) {
  const root = paths(c).harborReal;
  return {
    root,
    secrets: join(root, 'secrets'),
    pgData: join(root, 'postgres'),
    redisDir: join(root, 'redis'),
    redisConf: join(root, 'redis.conf'),
    registryData: join(root, 'registry'),
    registryConf: join(root, 'registry.yml'),
    htpasswd: join(root, 'htpasswd'),
    coreConf: join(root, 'core-app.conf'),
    coreKey: join(root, 'core-secretkey'),
    tokenKey: join(root, 'core-token-key.pem'),
    jobserviceConf: join(root, 'jobservice.yml'),
    jobLogs: join(root, 'job-logs'),
  };
}

/** An internal secret (not a user's): made once per stack, 0600. `length` chars of [A-Za-z0-9]. */
export function internalSecret(c: StackConfig, name: string, length = 32): string {
  const dir = realPaths(c).secrets;
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const bytes = randomBytes(length);
    // Upper, lower and digit in fixed places: Harbor's password rules apply to the registry credential too.
    const value = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
    writeFileSync(file, `A1b${value.slice(3)}`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const loopback = (port: number) => `http://127.0.0.1:${port}`;

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

async function httpStatus(url: string, headers?: Record<string, string>): Promise<number> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000), redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

/** True when Redis answers PING after AUTH with the stack's password. */
function redisPing(port: number, password: string): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    const finish = (ok: boolean) => {
      sock.destroy();
      done(ok);
    };
    sock.setTimeout(2000, () => finish(false));
    sock.on('error', () => finish(false));
    sock.on('connect', () => sock.write(`AUTH ${password}\r\nPING\r\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG')) finish(true);
      else if (buf.includes('-')) finish(false);
    });
  });
}

const redisUrl = (c: StackConfig, db: number) =>
  `redis://:${internalSecret(c, 'redis-password')}@127.0.0.1:${c.redisPort}/${db}?idle_timeout_seconds=30`;

/**
 * postgres (its own user) must pass through every parent of its data directory. A parent inside the
 * repository that only root may enter (`.data` made 0700 by a tool that created it first, e.g. harbor-sim's
 * data directory with mkdir -p) gets o+x: entering, not listing. One outside the repository is not ours to
 * change: the error names it and the fix.
 */
function letPostgresReach(dir: string): void {
  for (let d = resolve(dir); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if (mode & 0o001) continue;
    if (d === REPO_ROOT || d.startsWith(`${REPO_ROOT}/`)) chmodSync(d, (mode & 0o7777) | 0o001);
    else
      throw new Error(
        `PostgreSQL runs as user postgres and cannot enter ${d} (mode ${(mode & 0o777).toString(8)}): chmod o+x ${d}, or set STACK_DIR to a directory it can reach`,
      );
  }
}

export const postgres: Service = {
  name: 'postgres',
  // One private cluster for the stack: Harbor's `registry` database and, with --temporal postgres, Temporal's.
  what: 'PostgreSQL (Harbor and Temporal databases)',
  port: (c) => c.postgresPort,
  portEnv: 'STACK_POSTGRES_PORT',
  url: (c) => `postgresql://127.0.0.1:${c.postgresPort}`,
  available: () => true,
  prepare: async (c, tools) => {
    const p = realPaths(c);
    if (existsSync(join(p.pgData, 'PG_VERSION'))) return;
    // The parents stay traversable: postgres runs as its own user when we are root.
    mkdirSync(p.root, { recursive: true, mode: 0o755 });
    letPostgresReach(p.root);
    rmSync(p.pgData, { recursive: true, force: true });
    mkdirSync(p.pgData, { mode: 0o700 });
    const pwfile = join(p.root, 'pg-initial-password');
    writePrivate(pwfile, `${internalSecret(c, 'postgres-password')}\n`);
    await chownToPostgres(p.pgData);
    await chownToPostgres(pwfile);
    try {
      const w = asPostgresUser(tools[T.initdb]!, [
        '-D',
        p.pgData,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ]);
      await run(w.command, w.args, { maxBuffer: 16 << 20 });
    } finally {
      rmSync(pwfile, { force: true });
    }
  },
  command: (c, tools) => {
    const p = realPaths(c);
    const w = asPostgresUser(tools[T.postgres]!, [
      '-D',
      p.pgData,
      '-p',
      String(c.postgresPort),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ]);
    return { ...w, marker: p.pgData };
  },
  healthy: async (c, tools) => {
    // Ready when it accepts a login: `psql` with the password in the environment, not argv.
    const { stdout } = await run(
      tools[T.psql]!,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(c.postgresPort),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-tAc',
        'select 1',
      ],
      { env: { ...process.env, PGPASSWORD: internalSecret(c, 'postgres-password') } },
    );
    return stdout.trim() === '1';
  },
  timeoutMs: 60_000,
};

export const redis: Service = {
  name: 'redis',
  what: 'Redis (Harbor cache and job queue)',
  port: (c) => c.redisPort,
  portEnv: 'STACK_REDIS_PORT',
  url: (c) => `redis://127.0.0.1:${c.redisPort}`,
  available: () => true,
  prepare: (c) => {
    const p = realPaths(c);
    mkdirSync(p.redisDir, { recursive: true });
    writePrivate(
      p.redisConf,
      [
        'bind 127.0.0.1',
        `port ${c.redisPort}`,
        'protected-mode yes',
        `dir ${p.redisDir}`,
        'save ""',
        'appendonly no',
        `requirepass ${internalSecret(c, 'redis-password')}`,
        'loglevel warning',
        '',
      ].join('\n'),
    );
    return Promise.resolve();
  },
  command: (c, tools) => ({
    command: tools[T.redis]!,
    args: [realPaths(c).redisConf],
    // Redis rewrites its process title to "redis-server 127.0.0.1:<port>", dropping the config path.
    marker: 'redis-server',
  }),
  healthy: (c) => redisPing(c.redisPort, internalSecret(c, 'redis-password')),
  timeoutMs: 20_000,
};

/** One htpasswd line from the helper, the password on its stdin. */
function htpasswdLine(bin: string, user: string, password: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(bin, [user], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`stack-htpasswd: ${err.trim()}`))));
    child.stdin.end(`${password}\n`);
  });
}

export const harborRegistry: Service = {
  name: 'harbor-registry',
  what: 'OCI registry behind Harbor core',
  port: (c) => c.harborRegistryPort,
  portEnv: 'STACK_HARBOR_REGISTRY_PORT',
  url: (c) => `${loopback(c.harborRegistryPort)}/v2/`,
  available: () => true,
  prepare: async (c, tools) => {
    const p = realPaths(c);
    mkdirSync(p.registryData, { recursive: true });
    writePrivate(
      p.htpasswd,
      await htpasswdLine(tools[T.htpasswd]!, REGISTRY_USER, internalSecret(c, 'registry-password')),
    );
    writePrivate(
      p.registryConf,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${p.registryData}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: 127.0.0.1:${c.harborRegistryPort}`,
        `  secret: ${internalSecret(c, 'registry-http-secret')}`,
        'auth:',
        '  htpasswd:',
        '    realm: harbor-registry-basic-realm',
        `    path: ${p.htpasswd}`,
        'validation:',
        '  disabled: true',
        '',
      ].join('\n'),
    );
  },
  command: (c, tools) => ({
    command: tools.registry!,
    args: ['serve', realPaths(c).registryConf],
    marker: realPaths(c).registryConf,
  }),
  // 401 without credentials is the healthy answer of an htpasswd-protected registry.
  healthy: async (c) => (await httpStatus(`${loopback(c.harborRegistryPort)}/v2/`)) === 401,
  timeoutMs: 20_000,
};

/** Harbor core's environment: make/photon/prepare/templates/core/env.jinja with loopback URLs. */
export function coreEnv(c: StackConfig, home: string): NodeJS.ProcessEnv {
  const p = realPaths(c);
  const core = loopback(c.harborPort);
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    CONFIG_PATH: p.coreConf,
    KEY_PATH: p.coreKey,
    TOKEN_PRIVATE_KEY_PATH: p.tokenKey,
    POSTGRES_MIGRATION_SCRIPTS_PATH: join(home, 'migrations', 'postgresql'),
    _REDIS_URL_CORE: redisUrl(c, 0),
    _REDIS_URL_REG: redisUrl(c, 1),
    LOG_LEVEL: 'info',
    EXT_ENDPOINT: core,
    DATABASE_TYPE: 'postgresql',
    POSTGRESQL_HOST: '127.0.0.1',
    POSTGRESQL_PORT: String(c.postgresPort),
    POSTGRESQL_USERNAME: 'postgres',
    POSTGRESQL_PASSWORD: internalSecret(c, 'postgres-password'),
    POSTGRESQL_DATABASE: 'registry',
    POSTGRESQL_SSLMODE: 'disable',
    POSTGRESQL_MAX_IDLE_CONNS: '10',
    POSTGRESQL_MAX_OPEN_CONNS: '50',
    REGISTRY_URL: loopback(c.harborRegistryPort),
    PORTAL_URL: core,
    TOKEN_SERVICE_URL: `${core}/service/token`,
    // Used by core only when it creates the database: the admin's first password.
    HARBOR_ADMIN_PASSWORD: secret(c, 'admin-password'),
    MAX_JOB_WORKERS: '4',
    CORE_SECRET: internalSecret(c, 'core-secret'),
    JOBSERVICE_SECRET: internalSecret(c, 'jobservice-secret'),
    WITH_TRIVY: 'false',
    CORE_URL: core,
    CORE_LOCAL_URL: core,
    JOBSERVICE_URL: loopback(c.jobservicePort),
    REGISTRY_STORAGE_PROVIDER_NAME: 'filesystem',
    READ_ONLY: 'false',
    RELOAD_KEY: '',
    // No registryctl here: it serves only garbage collection, which the stack does not run.
    REGISTRY_CONTROLLER_URL: 'http://127.0.0.1:1',
    REGISTRY_CREDENTIAL_USERNAME: REGISTRY_USER,
    REGISTRY_CREDENTIAL_PASSWORD: internalSecret(c, 'registry-password'),
    CSRF_KEY: internalSecret(c, 'csrf-key', 32),
    ROBOT_SCANNER_NAME_PREFIX: internalSecret(c, 'scanner-robot-prefix', 8),
    PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE: 'docker-hub,harbor,docker-registry',
    REPLICATION_ADAPTER_WHITELIST: 'docker-hub,docker-registry,harbor',
    PORT: String(c.harborPort),
  };
}

export const harborCore: Service = {
  name: 'harbor-core',
  what: `Harbor ${HARBOR_VERSION} core (API, token, /v2)`,
  port: (c) => c.harborPort,
  portEnv: 'STACK_HARBOR_PORT',
  url: (c) => loopback(c.harborPort),
  available: () => true,
  prepare: async (c, tools) => {
    const p = realPaths(c);
    const psql = tools[T.psql]!;
    // The database core migrates into; created once.
    const pg = {
      env: { ...process.env, PGPASSWORD: internalSecret(c, 'postgres-password') },
    };
    const base = ['-h', '127.0.0.1', '-p', String(c.postgresPort), '-U', 'postgres'];
    const { stdout } = await run(
      psql,
      [...base, '-d', 'postgres', '-tAc', "select 1 from pg_database where datname = 'registry'"],
      pg,
    );
    if (stdout.trim() !== '1')
      await run(psql, [...base, '-d', 'postgres', '-c', 'create database registry'], pg);
    if (!existsSync(p.coreKey)) writePrivate(p.coreKey, internalSecret(c, 'core-key', 16));
    if (!existsSync(p.tokenKey)) {
      // PKCS#1 (the traditional RSA PEM, `openssl genrsa -traditional`): with PKCS#8, /service/token answers 500.
      await run('openssl', ['genrsa', '-traditional', '-out', p.tokenKey, '4096']);
      chmodSync(p.tokenKey, 0o600);
    }
    writePrivate(
      p.coreConf,
      [
        'appname = Harbor',
        'runmode = prod',
        'enablegzip = true',
        '',
        '[prod]',
        'httpaddr = 127.0.0.1',
        `httpport = ${c.harborPort}`,
        '',
      ].join('\n'),
    );
  },
  command: (c, tools) => ({
    command: tools[T.core]!,
    args: [],
    cwd: tools[T.home]!,
    env: coreEnv(c, tools[T.home]!),
    marker: tools[T.core]!,
  }),
  healthy: async (c) => {
    const res = await fetch(`${loopback(c.harborPort)}/api/v2.0/ping`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 && (await res.text()).includes('Pong');
  },
  timeoutMs: 180_000,
};

export const harborJobservice: Service = {
  name: 'harbor-jobservice',
  what: `Harbor ${HARBOR_VERSION} jobservice (scan jobs)`,
  port: (c) => c.jobservicePort,
  portEnv: 'STACK_JOBSERVICE_PORT',
  url: (c) => `${loopback(c.jobservicePort)}/api/v1/stats`,
  available: () => true,
  prepare: (c) => {
    const p = realPaths(c);
    mkdirSync(p.jobLogs, { recursive: true });
    // make/photon/prepare/templates/jobservice/config.yml.jinja; job logs in the database, as Harbor's default.
    writePrivate(
      p.jobserviceConf,
      [
        'protocol: "http"',
        `port: ${c.jobservicePort}`,
        'worker_pool:',
        '  workers: 4',
        '  backend: "redis"',
        '  redis_pool:',
        `    redis_url: "${redisUrl(c, 2)}"`,
        '    namespace: "harbor_job_service_namespace"',
        '    idle_timeout_second: 3600',
        'job_loggers:',
        '  - name: "STD_OUTPUT"',
        '    level: "INFO"',
        '  - name: "DB"',
        '    level: "INFO"',
        '    sweeper:',
        '      duration: 1',
        'loggers:',
        '  - name: "STD_OUTPUT"',
        '    level: "INFO"',
        'reaper:',
        '  max_update_hours: 24',
        '  max_dangling_hours: 168',
        'max_retrieve_size_mb: 10',
        '',
      ].join('\n'),
    );
    return Promise.resolve();
  },
  command: (c, tools) => ({
    command: tools[T.jobservice]!,
    args: ['-c', realPaths(c).jobserviceConf],
    cwd: realPaths(c).root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      CORE_SECRET: internalSecret(c, 'core-secret'),
      JOBSERVICE_SECRET: internalSecret(c, 'jobservice-secret'),
      CORE_URL: loopback(c.harborPort),
      REGISTRY_URL: loopback(c.harborRegistryPort),
      REGISTRY_CONTROLLER_URL: 'http://127.0.0.1:1',
      REGISTRY_CREDENTIAL_USERNAME: REGISTRY_USER,
      REGISTRY_CREDENTIAL_PASSWORD: internalSecret(c, 'registry-password'),
      LOG_LEVEL: 'info',
    },
    marker: tools[T.jobservice]!,
  }),
  healthy: async (c) => (await httpStatus(`${loopback(c.jobservicePort)}/api/v1/stats`)) === 200,
  timeoutMs: 60_000,
};

export const SCANNER_ADAPTER_MAIN = join(REPO_ROOT, 'dev', 'scanner-adapter', 'main.ts');
export const ADVISORIES = join(REPO_ROOT, 'dev', 'harbor-sim', 'advisories.json');

/** The Pluggable Scanner Adapter (dev/scanner-adapter) that real Harbor's scan jobs call. */
export const scannerAdapter: Service = {
  name: 'scanner-adapter',
  what: 'scanner adapter (Harbor scanner API v1.1)',
  port: (c) => c.scannerPort,
  portEnv: 'STACK_SCANNER_PORT',
  url: (c) => loopback(c.scannerPort),
  available: () => existsSync(SCANNER_ADAPTER_MAIN),
  command: (c) => ({
    command: process.execPath,
    args: ['--import', 'tsx', SCANNER_ADAPTER_MAIN],
    cwd: REPO_ROOT,
    env: { ...process.env, SCANNER_ADAPTER_PORT: String(c.scannerPort), SCANNER_ADVISORIES: ADVISORIES },
    marker: SCANNER_ADAPTER_MAIN,
  }),
  healthy: async (c) => (await httpStatus(`${loopback(c.scannerPort)}/api/v1/metadata`)) === 200,
  timeoutMs: 30_000,
};

/** After Temporal, in start order. */
export const REAL_HARBOR_SERVICES: Service[] = [
  postgres,
  redis,
  harborRegistry,
  harborCore,
  harborJobservice,
  scannerAdapter,
];
