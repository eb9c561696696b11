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

/**
 * TEMPORAL_TLS as the CLI and the worker both read it: `1`/`true` on, `0`/`false` or unset off. Anything else
 * is a mistake worth stopping for (`yes` would otherwise mean TLS on one side and off on the other).
 */
export function temporalTlsFlag(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`TEMPORAL_TLS must be 1 or 0 (got "${raw}"): set TEMPORAL_TLS=1 to connect with TLS`);
}

/** TLS is on when asked for, or implied by any TLS file, a server name or an API key (Temporal Cloud). */
export function temporalTlsOn(s: {
  flag: boolean;
  certPath?: string | undefined;
  keyPath?: string | undefined;
  caPath?: string | undefined;
  serverName?: string | undefined;
  apiKey?: boolean;
}): boolean {
  return Boolean(s.flag || s.certPath || s.keyPath || s.caPath || s.serverName || s.apiKey);
}
