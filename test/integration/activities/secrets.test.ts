// Secrets stay secret during real skopeo and cosign runs: never on any process's command line, never in
// an error message, a log line or a heartbeat; the private temp dirs are gone afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { buildActivities } from '../../../src/activities/index.js';
import type { CopyResult, SignResult } from '../../../src/activities/contract.js';
import { activityFixture, configFromEnv, DEV, PROD, STAGING } from './helpers.js';

const { env, cfg, acts, connection, api, sim, ci, repo } = activityFixture('secrets');
const read = (s: { value: string } | { file: string }) =>
  'value' in s ? s.value : readFileSync(s.file, 'utf8').trim();
const promoterPw = read(cfg.harborPassword);
const cosignPw = read(cfg.cosignPassword);
const SECRETS = [
  promoterPw,
  cosignPw,
  Buffer.from(`${cfg.harborUsername}:${promoterPw}`).toString('base64'),
  'Wr0ng-Passw0rd-123',
];

class Collect implements Logger {
  lines: string[] = [];
  log(level: LogLevel, message: string, meta?: LogMetadata) {
    this.lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  }
  trace = (m: string, meta?: LogMetadata) => this.log('TRACE', m, meta);
  debug = (m: string, meta?: LogMetadata) => this.log('DEBUG', m, meta);
  info = (m: string, meta?: LogMetadata) => this.log('INFO', m, meta);
  warn = (m: string, meta?: LogMetadata) => this.log('WARN', m, meta);
  error = (m: string, meta?: LogMetadata) => this.log('ERROR', m, meta);
}

/** Samples every process's argv every few ms while `fn` runs. */
async function watchCmdlines<T>(
  fn: () => Promise<T>,
): Promise<{ result: T | undefined; error: unknown; cmdlines: Set<string>; cosignEnv: Set<string> }> {
  const cmdlines = new Set<string>();
  /** The environment of every cosign process of this test seen, `NAME=value` lines. */
  const cosignEnv = new Set<string>();
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          cmdlines.add(cmdline);
          if (/^\S*cosign /.test(cmdline)) {
            const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').replace(/\0/g, '\n');
            // Ours only (HOME is the run's private dir under ownTmp): other checkouts may run cosign too.
            if (environ.includes(`\nHOME=${ownTmp}/`) || environ.startsWith(`HOME=${ownTmp}/`))
              cosignEnv.add(environ);
          }
        } catch {
          // exited meanwhile
        }
      }
      for (const d of privateDirs()) seenDirs.add(d);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (e) {
    error = e;
  }
  stop = true;
  await sampler;
  return { result, error, cmdlines, cosignEnv };
}

function assertClean(what: string, text: string) {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${what} contains a secret`);
}

// Private dirs go under os.tmpdir(); a directory of our own keeps other processes' dirs out of the check.
const ownTmp = mkdtempSync(join(tmpdir(), 'hp-secrets-test-'));
process.env.TMPDIR = ownTmp;
const privateDirs = () => readdirSync(ownTmp).filter((d) => d.startsWith('harbor-promote-'));
let dirsBefore: string[] = [];
const seenDirs = new Set<string>();
let digest = '';

before(async () => {
  await sim.clearFaults();
  dirsBefore = privateDirs();
  digest = (await ci.image(`${DEV}/${repo}`, '1.0', { layerBytes: 512 * 1024 })).digest;
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${digest}`);
  await sim.completeScans();
});
after(() => connection.close());

describe('no credential leaks', () => {
  it('cosign sign: no secret on any command line, in logs or heartbeats', async () => {
    const dirsSeenBefore = seenDirs.size;
    const logger = new Collect();
    const menv = new MockActivityEnvironment(undefined, { logger });
    const beats: unknown[] = [];
    menv.on('heartbeat', (d) => beats.push(d));
    const { result, error, cmdlines, cosignEnv } = await watchCmdlines(
      () =>
        menv.run(acts.signImage, {
          artifact: { project: STAGING, repository: repo, digest },
        }) as Promise<SignResult>,
    );
    assert.equal(error, undefined);
    assert.equal(result?.signed, true);
    assert.ok(
      [...cmdlines].some((c) => c.includes('cosign sign')),
      'the sampler saw cosign sign',
    );
    assert.ok(seenDirs.size > dirsSeenBefore, 'the sampler saw the private dir of cosign sign');
    for (const c of cmdlines) assertClean(`cmdline ${c.slice(0, 80)}`, c);
    assertClean('logs', logger.lines.join('\n'));
    assertClean('heartbeats', JSON.stringify(beats));
    // cosign gets the worker's session copy of the key (session-key.ts) and its random password, never the
    // operator's COSIGN_PASSWORD; the session password is as secret as the rest.
    const passwords = new Set(
      [...cosignEnv].flatMap((e) => e.split('\n').filter((l) => l.startsWith('COSIGN_PASSWORD='))),
    );
    assert.equal(passwords.size, 1, `one COSIGN_PASSWORD seen in cosign's environment: ${passwords.size}`);
    const sessionPw = [...passwords][0]!.slice('COSIGN_PASSWORD='.length);
    assert.notEqual(sessionPw, cosignPw);
    assert.match(sessionPw, /^[A-Za-z0-9_-]{43}$/);
    for (const e of cosignEnv)
      assert.ok(!e.includes(cosignPw), "the operator's password in cosign's environment");
    for (const [what, text] of [
      ['cmdlines', [...cmdlines].join('\n')],
      ['logs', logger.lines.join('\n')],
      ['heartbeats', JSON.stringify(beats)],
    ] as const)
      assert.ok(!text.includes(sessionPw), `${what} contain the session password`);
  });

  it('skopeo copy: no secret on any command line, in logs or heartbeats', async () => {
    const dirsSeenBefore = seenDirs.size;
    const logger = new Collect();
    const menv = new MockActivityEnvironment(undefined, { logger });
    const beats: unknown[] = [];
    menv.on('heartbeat', (d) => beats.push(d));
    const { result, error, cmdlines } = await watchCmdlines(
      () =>
        menv.run(acts.copyArtifact, {
          from: { project: STAGING, repository: repo, digest },
          to: { project: PROD, repository: repo },
          tag: '1.0',
          strategy: 'skopeo' as const,
        }) as Promise<CopyResult>,
    );
    assert.equal(error, undefined);
    assert.equal(result?.digest, digest);
    assert.ok(
      [...cmdlines].some((c) => c.includes('skopeo') && c.includes(' copy ')),
      'the sampler saw skopeo copy',
    );
    assert.ok(seenDirs.size > dirsSeenBefore, 'the sampler saw the private dir of skopeo copy');
    for (const c of cmdlines) assertClean(`cmdline ${c.slice(0, 80)}`, c);
    assertClean('logs', logger.lines.join('\n'));
    assertClean('heartbeats', JSON.stringify(beats));
  });

  it('failing runs with a wrong password: the errors carry the tool output, never the password', async () => {
    const wrong = buildActivities(
      configFromEnv(env, {
        harborPassword: { value: 'Wr0ng-Passw0rd-123' },
        cosignPassword: { value: 'Wr0ng-Passw0rd-123' },
      }),
    );
    const errors: string[] = [];
    for (const run of [
      () =>
        wrong.activities.copyArtifact({
          from: { project: STAGING, repository: repo, digest },
          to: { project: PROD, repository: repo },
          tag: '1.0',
          strategy: 'skopeo',
        }),
      () => wrong.activities.signImage({ artifact: { project: STAGING, repository: repo, digest } }),
      () => wrong.activities.resolveDigest({ project: STAGING, repository: repo, reference: '1.0' }),
    ]) {
      const e = await new MockActivityEnvironment().run(run).then(
        () => undefined,
        (err: Error) => err,
      );
      assert.ok(e, 'expected a failure');
      errors.push(`${e.message}\n${e.stack}\n${JSON.stringify(e)}`);
    }
    for (const e of errors) assertClean('error', e);
    await wrong.connection.close();
  });

  it('the private temp dirs (auth files, keys) are removed', () => {
    // Without this, "none left" would also pass if the dirs were made elsewhere or never made at all.
    assert.ok(seenDirs.size >= 2, `private dirs seen while the tools ran: ${[...seenDirs].join(', ')}`);
    assert.deepEqual(
      privateDirs().filter((d) => !dirsBefore.includes(d)),
      [],
    );
  });
});
