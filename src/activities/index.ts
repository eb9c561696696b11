/**
 * createActivities: the real PromotionActivities, built from ActivityConfig. One Harbor connection (one
 * keep-alive pool) is shared by all activities; secrets are read once here and registered for redaction.
 */
import { HarborApi } from '../harbor/api.js';
import { HarborConnection, type RecordedRequest } from '../harbor/client.js';
import { RegistryApi } from '../harbor/registry.js';
import type { ActivityConfig } from './config.js';
import { resolveConfig } from './config.js';
import type { PromotionActivities } from './contract.js';
import type { DoctorActivities } from '../domain/doctor.js';
import { attestActivities } from './attest.js';
import { approvalActivities } from './approvals.js';
import { copyActivity } from './copy.js';
import { cosignActivities } from './cosign.js';
import { doctorActivities } from './doctor.js';
import { environmentLockActivities } from './environment-lock.js';
import type { Deps, Secrets } from './deps.js';
import { gitopsActivities } from './gitops.js';
import { harborActivities, verifyDigestsActivity } from './harbor.js';
import { inputCheckActivities } from './input-check.js';
import { readSecret, Redactor, sweepStalePrivateDirs } from './secrets.js';
import { SigningKeySession } from './session-key.js';
import { notifyActivities } from './notify.js';
import { verificationActivities } from './verification.js';

export type { ActivityConfig } from './config.js';
export { activityConfigFromEnv } from './config.js';

export interface CreateActivitiesOptions {
  /** Observe every Harbor request (contract tests). */
  onHarborRequest?: (r: RecordedRequest) => void;
}

export interface ActivitiesHandle {
  activities: PromotionActivities;
  /** `runDoctor` for the pipelineDoctor workflow (registered next to the promotion's activities). */
  doctor: DoctorActivities;
  /** Harbor connection (stats for tests; close on worker shutdown). */
  connection: HarborConnection;
  redactor: Redactor;
}

export function buildActivities(
  config: ActivityConfig,
  opts: CreateActivitiesOptions = {},
): ActivitiesHandle {
  const cfg = resolveConfig(config);
  try {
    sweepStalePrivateDirs();
  } catch {
    // best effort: an unreadable tmp dir must not stop the worker
  }
  const keySource = (s: ActivityConfig['cosignKey']) => ('file' in s ? { file: s.file } : { pem: s.value });
  const secrets: Secrets = {
    harborPassword: readSecret(config.harborPassword),
    cosignKey: keySource(config.cosignKey),
    cosignPublicKey: keySource(config.cosignPublicKey),
    cosignPassword: readSecret(config.cosignPassword),
  };
  const signingKey = new SigningKeySession(secrets.cosignKey, secrets.cosignPassword);
  const redactor = new Redactor()
    .addCredentials(cfg.harborUsername, secrets.harborPassword)
    .add(secrets.cosignPassword, signingKey.password);
  if ('pem' in secrets.cosignKey) redactor.add(secrets.cosignKey.pem);
  const conn = new HarborConnection({
    baseUrl: cfg.harborUrl,
    username: cfg.harborUsername,
    password: secrets.harborPassword,
    timeoutMs: cfg.harborTimeoutMs,
    onRequest: opts.onHarborRequest,
  });
  const d: Deps = {
    cfg,
    conn,
    api: new HarborApi(conn),
    registry: new RegistryApi(conn),
    secrets,
    redactor,
    signingKey,
  };

  const harbor = harborActivities(d);
  const cosign = cosignActivities(d);
  const activities: PromotionActivities = {
    ...harbor,
    ...cosign,
    copyArtifact: copyActivity(d, cosign.signImage),
    verifyDigests: verifyDigestsActivity(d, cosign.verifySignatures),
    ...gitopsActivities(d),
    ...verificationActivities(d),
    ...attestActivities(d),
    ...approvalActivities(),
    ...notifyActivities(),
    ...environmentLockActivities(),
    ...inputCheckActivities(),
  };
  return { activities, doctor: doctorActivities(d), connection: conn, redactor };
}

export function createActivities(config: ActivityConfig): PromotionActivities {
  return buildActivities(config).activities;
}
