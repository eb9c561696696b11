/**
 * How the CLI (a client Connection) and the worker (a NativeConnection) reach Temporal: one place builds
 * the TLS and API-key options from the same settings, so mTLS, a private CA, a server name override and
 * Temporal Cloud API keys behave the same for both. Each side reads its settings its own way (CLI flags
 * over TEMPORAL_*, the worker's validated env) and says how a file that cannot be read is named.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

/** TLS files and names; an empty object still means "TLS on" with the system CAs. */
export interface TemporalTls {
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  serverName?: string;
}

export interface TemporalEndpoint {
  /** host:port, no scheme. */
  address: string;
  /** Present when TLS is on. */
  tls?: TemporalTls;
  /** The API key itself (implies TLS); never logged or printed. */
  apiKey?: string;
}

/** Reads a PEM file; `which` says which setting named it, for the error. */
export type PemReader = (path: string, which: 'cert' | 'key' | 'ca') => Buffer;

/** The options both `Connection.connect` and `NativeConnection.connect` take. */
export function temporalConnectionOptions(
  e: TemporalEndpoint,
  read: PemReader = (path) => readFileSync(path),
): { address: string; tls?: TLSConfig; apiKey?: string } {
  const t = e.tls;
  const tls: TLSConfig | undefined = t && {
    ...(t.serverName && { serverNameOverride: t.serverName }),
    ...(t.caPath && { serverRootCACertificate: read(t.caPath, 'ca') }),
    ...(t.certPath &&
      t.keyPath && { clientCertPair: { crt: read(t.certPath, 'cert'), key: read(t.keyPath, 'key') } }),
  };
  return { address: e.address, ...(tls && { tls }), ...(e.apiKey && { apiKey: e.apiKey }) };
}
