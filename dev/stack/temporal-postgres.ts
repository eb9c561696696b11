/**
 * Temporal on PostgreSQL (`npm run stack -- up --temporal postgres`): temporal-server v1.29.1 (the server
 * the pinned Temporal CLI embeds, built from go.temporal.io/server by scripts/tools.ts) with its persistence
 * and visibility stores in the stack's private PostgreSQL cluster (the `postgres` service of
 * dev/harbor-real, shared with real Harbor: databases `temporal` and `temporal_visibility` owned by role
 * `temporal`, beside Harbor's `registry`). The schemas are the module's own (schema/postgresql/v12), applied
 * with temporal-sql-tool: set up once, then `update-schema` on every `up`, which applies only newer versions.
 * The namespace and the search attributes are registered after the server is healthy, as the dev server
 * does at start. There is no UI in this mode.
 *
 * Ports: the frontend is STACK_TEMPORAL_PORT (P), as with the dev server; the other services and the
 * membership ring use P+1 … P+7, the server's Prometheus metrics P+9 and the frontend's HTTP API P+10 (7243
 * by default, as the dev server), all on 127.0.0.1, so TEST_PORT_OFFSET moves them together.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadTools } from '../../scripts/tools';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { T, internalSecret } from '../harbor-real/services';
import type { Service } from './components';
import { StackConfig, paths } from './config';

const run = promisify(execFile);

/** The server module and version, as tools.json pins them for temporal-server and temporal-sql-tool. */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const DB_ROLE = 'temporal';
export const DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;
export const NAMESPACE = 'default';
/** The dev server keeps closed workflows one day by default; the same here. */
const RETENTION_HOURS = 24;

/** Ports of the server's services, from the frontend port (see the file comment). */
export function serverPorts(frontend: number) {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    frontendMembership: frontend + 3,
    historyMembership: frontend + 4,
    matchingMembership: frontend + 5,
    worker: frontend + 6,
    workerMembership: frontend + 7,
    /** Prometheus /metrics of the server, e.g. its `action` counter (what Temporal Cloud bills). */
    metrics: frontend + 9,
    frontendHttp: frontend + 10,
  };
}

/**
 * The membership ports go into a PostgreSQL `smallint` column (cluster_membership.rpc_port), so they must
 * be ≤ 32767; a higher one makes the server exit at start with "value … is out of range for type smallint".
 */
export function checkServerPorts(frontend: number): void {
  const p = serverPorts(frontend);
  const highest = Math.max(
    p.frontendMembership,
    p.historyMembership,
    p.matchingMembership,
    p.workerMembership,
  );
  if (highest > 32767) {
    throw new Error(
      `STACK_TEMPORAL_PORT=${frontend} is too high for Temporal on PostgreSQL: its membership ports (up to ` +
        `${highest}) must be ≤ 32767 (a smallint column); choose STACK_TEMPORAL_PORT ≤ 32760`,
    );
  }
}

export function temporalPostgresPaths(c: StackConfig) {
  const root = paths(c).temporalPostgres;
  return {
    root,
    configDir: join(root, 'config'),
    config: join(root, 'config', 'development.yaml'),
    dynamicConfig: join(root, 'dynamicconfig.yaml'),
  };
}

/**
 * The server's configuration (config/development.yaml of the server module, cut to what a single local
 * server needs). The database password is not in the file: `enable-template` makes the server read it
 * from its environment.
 */
export function serverConfigYaml(c: StackConfig): string {
  const p = serverPorts(c.temporalPort);
  const store = (database: string, maxConns: number) => [
    '      sql:',
    '        pluginName: "postgres12"',
    `        databaseName: "${database}"`,
    `        connectAddr: "127.0.0.1:${c.postgresPort}"`,
    '        connectProtocol: "tcp"',
    `        user: "${DB_ROLE}"`,
    '        password: {{ env "TEMPORAL_DB_PASSWORD" | quote }}',
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    '        maxConnLifetime: "1h"',
  ];
  const service = (name: string, grpc: number, membership: number, extra: string[] = []) => [
    `  ${name}:`,
    '    rpc:',
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    '      bindOnLocalHost: true',
    ...extra,
  ];
  return [
    '# enable-template (the database password comes from the environment, not this file)',
    '# Written by `npm run stack -- up --temporal postgres` (dev/stack/temporal-postgres.ts); rewritten on each up.',
    'log:',
    '  stdout: true',
    '  level: warn',
    'persistence:',
    '  defaultStore: postgres-default',
    '  visibilityStore: postgres-visibility',
    '  numHistoryShards: 4',
    '  datastores:',
    '    postgres-default:',
    ...store(DATABASES.default, 10),
    '    postgres-visibility:',
    ...store(DATABASES.visibility, 4),
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    '    broadcastAddress: "127.0.0.1"',
    '  metrics:',
    '    prometheus:',
    '      framework: "tally"',
    '      timerType: "histogram"',
    `      listenAddress: "127.0.0.1:${p.metrics}"`,
    'services:',
    ...service('frontend', p.frontend, p.frontendMembership, [`      httpPort: ${p.frontendHttp}`]),
    ...service('history', p.history, p.historyMembership),
    ...service('matching', p.matching, p.matchingMembership),
    ...service('worker', p.worker, p.workerMembership),
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: "active"',
    '  currentClusterName: "active"',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: "frontend"',
    `      rpcAddress: "127.0.0.1:${p.frontend}"`,
    'dcRedirectionPolicy:',
    '  policy: "noop"',
    'dynamicConfigClient:',
    `  filepath: "${temporalPostgresPaths(c).dynamicConfig}"`,
    '  pollInterval: "10s"',
    '',
  ].join('\n');
}

/** The dev server's settings that matter here: no call home, and search attributes usable at once. */
const DYNAMIC_CONFIG = [
  'frontend.enableServerVersionCheck:',
  '  - value: false',
  'system.forceSearchAttributesCacheRefreshOnRead:',
  '  - value: true',
  '',
].join('\n');

const superuser = (c: StackConfig) => ({
  base: ['-h', '127.0.0.1', '-p', String(c.postgresPort), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1'],
  env: { ...process.env, PGPASSWORD: internalSecret(c, 'postgres-password') },
});

/** Runs SQL given on stdin (so a password in it never reaches argv); resolves with stdout. */
function psqlStdin(psql: string, args: string[], env: NodeJS.ProcessEnv, sql: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(psql, [...args, '-f', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`psql: ${err.trim()}`))));
    child.stdin.end(sql);
  });
}

const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** Role `temporal` (its password set on every up, from the stack's secret) and its two databases. */
async function ensureDatabases(c: StackConfig, psql: string): Promise<void> {
  const su = superuser(c);
  const password = literal(internalSecret(c, 'temporal-db-password'));
  const sql = [
    'DO $$ BEGIN',
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_ROLE}') THEN`,
    `    CREATE ROLE ${DB_ROLE} LOGIN PASSWORD ${password};`,
    `  ELSE ALTER ROLE ${DB_ROLE} LOGIN PASSWORD ${password}; END IF;`,
    'END $$;',
    ...Object.values(DATABASES).map(
      (db) =>
        `SELECT 'CREATE DATABASE ${db} OWNER ${DB_ROLE}' WHERE NOT EXISTS ` +
        `(SELECT FROM pg_database WHERE datname = '${db}') \\gexec`,
    ),
    '',
  ].join('\n');
  await psqlStdin(psql, [...su.base, '-d', 'postgres', '-q'], su.env, sql);
}

/** schema/postgresql/v12 of the server module, from the Go module cache (a no-op download when present). */
export async function schemaRoot(version: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${version}`], {
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    maxBuffer: 16 << 20,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '{}' }));
  const info = JSON.parse(stdout || '{}') as { Dir?: string; Error?: string };
  if (!info.Dir) {
    throw new Error(
      `temporal-postgres: cannot find the schema files of ${TEMPORAL_SERVER_MODULE}@${version} in the Go ` +
        `module cache (${info.Error ?? 'go mod download failed'}): run \`npm run tools -- build temporal-sql-tool\``,
    );
  }
  return join(info.Dir, 'schema', 'postgresql', 'v12');
}

/** Sets up (first time) and updates (every time; only newer versions apply) one database's schema. */
async function ensureSchema(
  c: StackConfig,
  sqlTool: string,
  database: string,
  versionedDir: string,
): Promise<void> {
  const common = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(c.postgresPort)];
  const env = {
    ...process.env,
    SQL_USER: DB_ROLE,
    SQL_PASSWORD: internalSecret(c, 'temporal-db-password'),
    SQL_DATABASE: database,
  };
  // Records version 0.0 on a fresh database and skips itself when the recorded version is newer.
  await run(sqlTool, [...common, 'setup-schema', '-v', '0.0'], { env });
  await run(sqlTool, [...common, 'update-schema', '-d', versionedDir], { env, maxBuffer: 16 << 20 });
}

async function frontendConnection(c: StackConfig): Promise<Connection> {
  return Connection.connect({ address: `127.0.0.1:${c.temporalPort}`, connectTimeout: 5000 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const grpcCode = (err: unknown) => (err as { code?: number }).code;
const ALREADY_EXISTS = 6;

/**
 * Namespace `default` and the promotion search attributes (Keyword), as `temporal server start-dev
 * --search-attribute` registers them. Both calls are idempotent; the search attributes are retried while
 * the frontend's namespace cache does not know the new namespace yet (refreshed every 2 s).
 */
export async function registerNamespace(c: StackConfig, timeoutMs = 60_000): Promise<void> {
  const connection = await frontendConnection(c);
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(`${RETENTION_HOURS}h`),
      });
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
    }
    const wanted = Object.fromEntries(
      PROMOTION_SEARCH_ATTRIBUTES.map((k) => [k.name, 2 /* INDEXED_VALUE_TYPE_KEYWORD */]),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const have = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
        const missing = Object.keys(wanted).filter((n) => !(n in (have.customAttributes ?? {})));
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace: NAMESPACE,
          searchAttributes: Object.fromEntries(missing.map((n) => [n, wanted[n]!])),
        });
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `temporal-postgres: could not register the search attributes in namespace ${NAMESPACE}: ${(err as Error).message}`,
          );
        }
        await sleep(1000);
      }
    }
  } finally {
    await connection.close();
  }
}

export const temporalServer: Service = {
  name: 'temporal-server',
  what: 'Temporal server v1.29.1 on PostgreSQL',
  port: (c) => c.temporalPort,
  portEnv: 'STACK_TEMPORAL_PORT',
  url: (c) => `grpc://127.0.0.1:${c.temporalPort} (no UI in this mode)`,
  available: () => true,
  prepare: async (c, tools) => {
    checkServerPorts(c.temporalPort);
    const p = temporalPostgresPaths(c);
    mkdirSync(p.configDir, { recursive: true });
    await ensureDatabases(c, tools[T.psql]!);
    const root = await schemaRoot(loadTools()['temporal-sql-tool']!.version);
    await ensureSchema(
      c,
      tools['temporal-sql-tool']!,
      DATABASES.default,
      join(root, 'temporal', 'versioned'),
    );
    await ensureSchema(
      c,
      tools['temporal-sql-tool']!,
      DATABASES.visibility,
      join(root, 'visibility', 'versioned'),
    );
    writeFileSync(p.config, serverConfigYaml(c));
    writeFileSync(p.dynamicConfig, DYNAMIC_CONFIG);
  },
  command: (c, tools) => {
    const p = temporalPostgresPaths(c);
    return {
      command: tools['temporal-server']!,
      args: ['--root', p.root, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
      env: { ...process.env, TEMPORAL_DB_PASSWORD: internalSecret(c, 'temporal-db-password') },
      marker: p.root,
    };
  },
  healthy: async (c, tools) => {
    const { stdout } = await run(tools.temporal!, [
      'operator',
      'cluster',
      'health',
      '--address',
      `127.0.0.1:${c.temporalPort}`,
    ]);
    return stdout.includes('SERVING');
  },
  afterHealthy: (c) => registerNamespace(c),
  timeoutMs: 120_000,
};
