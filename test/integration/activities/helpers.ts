// Shared by the activity integration tests: the stack environment, an ActivityConfig from it, and a
// MockActivityEnvironment runner that records heartbeats.
import { binaryPath } from '../../../scripts/tools';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityConfig } from '../../../src/activities/config.js';
import { buildActivities } from '../../../src/activities/index.js';
import { HarborApi } from '../../../src/harbor/api.js';
import { testEnv } from '../../support/env';
import { ImagePusher } from './images.js';

/** The stack's environment (test/support/env.ts), overridden by the process environment. */
export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = testEnv();
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && /^(HARBOR|COSIGN|SKOPEO|GITOPS|TEMPORAL|REGISTRY)_/.test(k)) env[k] = v;
  return env;
}

const secret = (env: Record<string, string>, name: string) =>
  env[name] !== undefined ? { value: env[name]! } : { file: env[`${name}_FILE`]! };

export function configFromEnv(
  env: Record<string, string>,
  over: Partial<ActivityConfig> = {},
): ActivityConfig {
  return {
    harborUrl: env.HARBOR_URL ?? 'http://127.0.0.1:8080',
    harborUsername: env.HARBOR_USERNAME ?? 'robot$promoter',
    harborPassword: secret(env, 'HARBOR_PASSWORD'),
    cosignKey: { file: env.COSIGN_KEY_FILE! },
    cosignPublicKey: { file: env.COSIGN_PUBLIC_KEY_FILE! },
    cosignPassword: secret(env, 'COSIGN_PASSWORD'),
    cosignBin: env.COSIGN_BIN ?? binaryPath('cosign'),
    skopeoBin: env.SKOPEO_BIN ?? binaryPath('skopeo'),
    gitopsRepoUrl: env.GITOPS_REPO_URL ?? '',
    workDir: mkdtempSync(join(tmpdir(), 'hp-work-')),
    heartbeatIntervalMs: 200,
    ...over,
  };
}

/**
 * What every activity test file against the stack starts with: the env, the activities built from it, the
 * Harbor API on the same connection, harbor-sim's control API, a CI-robot pusher and a fresh repository.
 */
export function activityFixture(label: string, over: Partial<ActivityConfig> = {}) {
  const env = stackEnv();
  const cfg = configFromEnv(env, over);
  const { activities: acts, connection } = buildActivities(cfg);
  const ci = new ImagePusher({
    harborUrl: env.HARBOR_URL!,
    username: env.HARBOR_CI_USERNAME!,
    password: env.HARBOR_CI_PASSWORD!,
  });
  return {
    env,
    cfg,
    acts,
    connection,
    api: new HarborApi(connection),
    sim: new SimControl(env),
    ci,
    repo: uniqueRepo(label),
  };
}

/** A config for activities that do not talk to Harbor (gitops, verification). */
export function offlineConfig(over: Partial<ActivityConfig> = {}): ActivityConfig {
  return {
    harborUrl: 'http://127.0.0.1:9',
    harborUsername: 'robot$nobody',
    harborPassword: { value: 'unused-password' },
    cosignKey: { value: 'unused' },
    cosignPublicKey: { value: 'unused' },
    cosignPassword: { value: 'unused-cosign-pw' },
    cosignBin: '/bin/false',
    skopeoBin: '/bin/false',
    gitopsRepoUrl: '',
    workDir: mkdtempSync(join(tmpdir(), 'hp-work-')),
    heartbeatIntervalMs: 100,
    ...over,
  };
}

export interface Run<R> {
  env: MockActivityEnvironment;
  heartbeats: unknown[];
  result: Promise<R>;
}

/** Run one activity in a fresh MockActivityEnvironment (fresh: a cancelled one stays cancelled). */
export function runActivity<A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Run<R> {
  const env = new MockActivityEnvironment({ attempt: 1 });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d) => heartbeats.push(d));
  return { env, heartbeats, result: env.run(fn, ...args) };
}

export async function activity<A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> {
  return runActivity(fn, ...args).result;
}

export const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

/** harbor-sim's /_sim control API (admin). */
export class SimControl {
  constructor(private readonly env: Record<string, string>) {}

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const { request } = await import('undici');
    const auth =
      'Basic ' +
      Buffer.from(`${this.env.HARBOR_ADMIN_USERNAME ?? 'admin'}:${this.env.HARBOR_ADMIN_PASSWORD}`).toString(
        'base64',
      );
    const res = await request(`${this.env.HARBOR_URL}${path}`, {
      method: method as 'GET',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  faults(
    rules: Record<
      string,
      {
        status?: number;
        failNext?: number;
        latencyMs?: number;
        errorRate?: number;
        methods?: string[];
        pathIncludes?: string;
      }
    >,
    scanner?: 'ok' | 'fail' | 'unavailable',
  ) {
    // The sim's schema (z.record over an enum) wants every family: fill the others with no-op rules.
    const all = Object.fromEntries(['api', 'v2', 'copy', 'scan', 'token'].map((f) => [f, rules[f] ?? {}]));
    return this.call('PUT', '/_sim/faults', { rules: all, ...(scanner ? { scanner } : {}) });
  }
  clearFaults() {
    return this.call('DELETE', '/_sim/faults');
  }
  async counters(): Promise<
    Record<string, { requests: number; bytesIn: number; bytesOut: number; injected: number }>
  > {
    return (await this.call('GET', '/_sim/counters')) as never;
  }
  resetCounters() {
    return this.call('POST', '/_sim/counters/reset');
  }
  scanDuration(ms: number) {
    return this.call('PUT', '/_sim/scan-duration', { ms });
  }
  completeScans() {
    return this.call('POST', '/_sim/scans/complete');
  }
}

export const DEV = 'platform-dev';
export const STAGING = 'platform-staging';
export const PROD = 'platform-production';

/** A repository name unique to this test run, with a slash so double encoding is exercised. */
export function uniqueRepo(label: string): string {
  return `it-${process.pid}-${Date.now().toString(36)}/${label}`;
}

/** Checks an ApplicationFailure's type (and optionally its message) for assert.rejects. */
export function failure(type: string, ...patterns: (RegExp | string)[]) {
  return (e: unknown): boolean => {
    const f = e as { type?: string; message?: string; nonRetryable?: boolean };
    if (f?.type !== type) throw new Error(`expected failure ${type}, got ${f?.type}: ${f?.message}`);
    for (const p of patterns) {
      const ok = typeof p === 'string' ? f.message!.includes(p) : p.test(f.message!);
      if (!ok) throw new Error(`failure message does not match ${p}: ${f.message}`);
    }
    return true;
  };
}

/** What Temporal's retry policy does with an activity: retry retryable failures, stop on non-retryable ones. */
export async function withRetries<R>(
  fn: () => Promise<R>,
  attempts = 10,
  delayMs = 300,
): Promise<{ result: R; attempts: number }> {
  for (let i = 1; ; i++) {
    try {
      return { result: await fn(), attempts: i };
    } catch (e) {
      const f = e as { nonRetryable?: boolean };
      if (f.nonRetryable !== false || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/** Activities running as the seeded guest user (Guest role on every project: read and pull, nothing else). */
export function guestConfig(env: Record<string, string>): Partial<ActivityConfig> {
  return {
    harborUsername: env.HARBOR_GUEST_USERNAME ?? 'guest',
    harborPassword: { value: env.HARBOR_GUEST_PASSWORD! },
  };
}
