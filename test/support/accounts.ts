/**
 * Accounts and keys a suite owns: a promoter robot with exactly the permissions README documents for the
 * worker (read everywhere; pull+push, artifact/tag create and scan in every project it signs or copies
 * into), optionally with a chosen distinctive secret, and a cosign key pair under a chosen password. The
 * secrets proof uses both so it knows exactly which strings must never appear anywhere.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROMOTER_READ, PROMOTER_WRITE, robotAccess } from '../../dev/robot-access';
import { HarborAdmin } from './harbor';
import { need, type Env } from './env';

const run = promisify(execFile);

export interface Robot {
  username: string;
  secret: string;
  /** 0600 file holding the secret (what the worker gets as HARBOR_PASSWORD_FILE). */
  secretFile: string;
}

/** A system robot `robot$<name>` that may promote through `writable` projects (read-only elsewhere). */
export async function createPromoterRobot(
  env: Env,
  name: string,
  dir: string,
  writable: string[],
  secret?: string,
): Promise<Robot> {
  const admin = new HarborAdmin(env);
  const res = await admin.request('/api/v2.0/robots', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      level: 'system',
      duration: -1,
      description: 'promoter for a proof suite',
      ...(secret && { secret }),
      permissions: [
        { kind: 'project', namespace: '*', access: robotAccess(PROMOTER_READ) },
        ...writable.map((p) => ({
          kind: 'project',
          namespace: p,
          access: robotAccess([...PROMOTER_READ, ...PROMOTER_WRITE]),
        })),
      ],
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`creating robot ${name}: ${res.status} ${text}`);
  const body = JSON.parse(text) as { name: string; secret: string };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretFile = join(dir, `${name}.secret`);
  writeFileSync(secretFile, `${body.secret}\n`, { mode: 0o600 });
  return { username: body.name, secret: body.secret, secretFile };
}

export interface CosignKey {
  keyFile: string;
  publicKeyFile: string;
  password: string;
  passwordFile: string;
}

/** A fresh cosign key pair encrypted with `password` (cosign reads it from COSIGN_PASSWORD, never argv). */
export async function createCosignKey(env: Env, dir: string, password: string): Promise<CosignKey> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(join(dir, 'keygen-'));
  try {
    await run(need(env, 'COSIGN_BIN'), ['generate-key-pair', '--output-key-prefix', join(tmp, 'cosign')], {
      env: { ...process.env, COSIGN_PASSWORD: password },
    });
    renameSync(join(tmp, 'cosign.key'), join(dir, 'cosign.key'));
    renameSync(join(tmp, 'cosign.pub'), join(dir, 'cosign.pub'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const passwordFile = join(dir, 'cosign-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  return { keyFile: join(dir, 'cosign.key'), publicKeyFile: join(dir, 'cosign.pub'), password, passwordFile };
}

/** Worker variables for a robot and a key (over the stack's defaults). */
export function workerCredentials(robot: Robot, key?: CosignKey): Env {
  return {
    HARBOR_USERNAME: robot.username,
    HARBOR_PASSWORD_FILE: robot.secretFile,
    ...(key && {
      COSIGN_KEY_FILE: key.keyFile,
      COSIGN_PUBLIC_KEY_FILE: key.publicKeyFile,
      COSIGN_PASSWORD_FILE: key.passwordFile,
    }),
  };
}

/** Creates a Harbor project as admin (for the 403 proof: a project the promoter may only read). */
export async function ensureProject(
  env: Env,
  name: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const admin = new HarborAdmin(env);
  const res = await admin.request('/api/v2.0/projects', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project_name: name, metadata: { public: 'false', ...metadata } }),
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`creating project ${name}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer().catch(() => undefined);
}
