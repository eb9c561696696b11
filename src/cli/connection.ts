/**
 * How the CLI reaches Temporal: flags win over the environment, the environment over defaults. The names
 * follow the Temporal CLI's (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY) so one
 * shell setup serves both tools. The API key is read from the environment only: secrets never go on argv.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { temporalConnectionOptions, temporalTlsFlag, temporalTlsOn } from '../temporal/connection.js';
import { usage } from './errors.js';

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
  uiUrl?: string;
}

export interface ConnectionSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Base URL of the Temporal UI, for links. */
  uiUrl: string;
  tls?: {
    certPath?: string;
    keyPath?: string;
    caPath?: string;
    serverName?: string;
  };
  /** From TEMPORAL_API_KEY only; implies TLS. Never printed. */
  apiKey?: string;
}

const nonEmpty = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);

/** The UI next to a dev server: same host, frontend port + 1000 (Temporal CLI's default). */
export function defaultUiUrl(address: string, tls: boolean): string {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) return `http${tls ? 's' : ''}://${address}`;
  const host = m[1]!;
  const port = Number(m[2]);
  if (tls) return `https://${host}`;
  return `http://${host}:${port + 1000}`;
}

export function connectionSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
  const address = nonEmpty(flags.address) ?? nonEmpty(env.TEMPORAL_ADDRESS) ?? '127.0.0.1:7233';
  if (!/^[^\s/:]+(:\d{1,5})?$/.test(address) && !/^\[[0-9a-f:]+\](:\d{1,5})?$/i.test(address))
    throw usage(
      `--address/TEMPORAL_ADDRESS "${address}" is not host:port; write e.g. 127.0.0.1:7233 (no scheme)`,
    );
  const certPath = nonEmpty(flags.tlsCertPath) ?? nonEmpty(env.TEMPORAL_TLS_CERT);
  const keyPath = nonEmpty(flags.tlsKeyPath) ?? nonEmpty(env.TEMPORAL_TLS_KEY);
  const caPath = nonEmpty(flags.tlsCaPath) ?? nonEmpty(env.TEMPORAL_TLS_CA);
  const serverName = nonEmpty(flags.tlsServerName) ?? nonEmpty(env.TEMPORAL_TLS_SERVER_NAME);
  const apiKey = nonEmpty(env.TEMPORAL_API_KEY);
  if (Boolean(certPath) !== Boolean(keyPath))
    throw usage(
      '--tls-cert-path and --tls-key-path (TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY) go together; give both or neither',
    );
  let flag: boolean;
  try {
    flag = Boolean(flags.tls) || temporalTlsFlag(env.TEMPORAL_TLS);
  } catch (e) {
    throw usage((e as Error).message);
  }
  const tlsOn = temporalTlsOn({ flag, certPath, keyPath, caPath, serverName, apiKey: Boolean(apiKey) });
  const tls = tlsOn
    ? {
        ...(certPath && { certPath }),
        ...(keyPath && { keyPath }),
        ...(caPath && { caPath }),
        ...(serverName && { serverName }),
      }
    : undefined;
  return {
    address,
    namespace: nonEmpty(flags.namespace) ?? nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    taskQueue: nonEmpty(flags.taskQueue) ?? nonEmpty(env.TEMPORAL_TASK_QUEUE) ?? 'harbor-promote',
    uiUrl: (nonEmpty(flags.uiUrl) ?? nonEmpty(env.TEMPORAL_UI_URL) ?? defaultUiUrl(address, tlsOn)).replace(
      /\/+$/,
      '',
    ),
    ...(tls && { tls }),
    ...(apiKey && { apiKey }),
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw usage(
      `${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); fix the path`,
    );
  }
}

const FLAG = { cert: '--tls-cert-path', key: '--tls-key-path', ca: '--tls-ca-path' } as const;

export function connectionOptions(s: ConnectionSettings, connectTimeoutMs = 5_000): ConnectionOptions {
  return {
    ...temporalConnectionOptions(s, (path, which) => readPem(path, FLAG[which])),
    connectTimeout: connectTimeoutMs,
  };
}

export async function connect(s: ConnectionSettings): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect(connectionOptions(s));
  return { connection, client: new Client({ connection, namespace: s.namespace }) };
}

/** Link to one promotion in the Temporal UI. */
export function workflowUrl(s: ConnectionSettings, workflowId: string): string {
  return `${s.uiUrl}/namespaces/${encodeURIComponent(s.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Link to the promotion list in the UI, filtered by a visibility query. */
export function listUrl(s: ConnectionSettings, query: string): string {
  return `${s.uiUrl}/namespaces/${encodeURIComponent(s.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
