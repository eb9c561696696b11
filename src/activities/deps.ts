/**
 * What every activity module receives from createActivities: the resolved config, one Harbor connection
 * (one keep-alive pool) with its REST and /v2 helpers, the secrets read once, and a redactor that knows them.
 */
import type { HarborApi } from '../harbor/api.js';
import type { HarborConnection } from '../harbor/client.js';
import type { RegistryApi } from '../harbor/registry.js';
import type { ResolvedConfig } from './config.js';
import type { Redactor } from './secrets.js';
import type { SigningKeySession } from './session-key.js';

export interface Secrets {
  harborPassword: string;
  cosignKey: { file: string } | { pem: string };
  cosignPublicKey: { file: string } | { pem: string };
  cosignPassword: string;
}

export interface Deps {
  cfg: ResolvedConfig;
  conn: HarborConnection;
  api: HarborApi;
  registry: RegistryApi;
  secrets: Secrets;
  redactor: Redactor;
  /** The per-process session copy of the cosign key that sign and attest hand to cosign (session-key.ts). */
  signingKey: SigningKeySession;
}

/** `host/project/repository@digest` as cosign and skopeo name it. */
export function imageRef(
  cfg: ResolvedConfig,
  project: string,
  repository: string,
  reference: string,
): string {
  const sep = reference.startsWith('sha256:') ? '@' : ':';
  return `${cfg.registryHost}/${project}/${repository}${sep}${reference}`;
}
