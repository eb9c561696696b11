import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyVerify, signArgs, verifyArgs } from '../../../src/activities/cosign.js';
import { sigstoreRegistriesYaml, skopeoCopyArgs } from '../../../src/activities/copy.js';
import { commitMessage } from '../../../src/activities/gitops.js';
import { parse } from 'yaml';
import type { RunResult } from '../../../src/activities/process.js';

const ref = '127.0.0.1:8080/platform-dev/app@sha256:' + 'a'.repeat(64);

describe('cosign argv', () => {
  it('sign: legacy .sig format, no tlog, no signing config, http, recursive', () => {
    const a = signArgs(ref, { keyFile: '/k/cosign.key', recursive: true, plainHttp: true });
    for (const f of [
      '--use-signing-config=false',
      '--tlog-upload=false',
      '--new-bundle-format=false',
      '--recursive',
      '--allow-http-registry',
      '--yes',
    ]) {
      assert.ok(a.includes(f), f);
    }
    assert.equal(a[0], 'sign');
    assert.equal(a.at(-1), ref);
    assert.ok(!a.some((x) => /password/i.test(x)));
    assert.ok(!signArgs(ref, { keyFile: 'k', recursive: false, plainHttp: false }).includes('--recursive'));
  });

  it('verify: key + --insecure-ignore-tlog', () => {
    const a = verifyArgs(ref, { pubFile: '/k/cosign.pub', plainHttp: false });
    assert.deepEqual(a.slice(0, 4), ['verify', '--key', '/k/cosign.pub', '--insecure-ignore-tlog']);
    assert.ok(!a.includes('--allow-http-registry'));
  });

  it('maps exit codes', () => {
    const r = (code: number, timedOut = false) => ({ code, timedOut }) as RunResult;
    assert.equal(classifyVerify(r(0)), 'valid');
    assert.equal(classifyVerify(r(10)), 'none');
    assert.equal(classifyVerify(r(12)), 'invalid');
    assert.equal(classifyVerify(r(11)), 'notfound');
    assert.equal(classifyVerify(r(1)), 'error');
    assert.equal(classifyVerify(r(0, true)), 'error');
  });
});

describe('skopeo argv', () => {
  it('global flags first, --all --preserve-digests, authfiles, no credentials', () => {
    const a = skopeoCopyArgs({
      policyFile: '/t/policy.json',
      registriesDir: '/t',
      authFile: '/t/auth.json',
      digestFile: '/t/d',
      src: '127.0.0.1:8080/dev/app@sha256:1',
      dst: '127.0.0.1:8080/stg/app:1.0',
      plainHttp: true,
      all: true,
    });
    assert.deepEqual(a.slice(0, 5), ['--policy', '/t/policy.json', '--registries.d', '/t', 'copy']);
    for (const f of [
      '--all',
      '--preserve-digests',
      '--src-authfile',
      '--dest-authfile',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--digestfile',
    ]) {
      assert.ok(a.includes(f), f);
    }
    assert.ok(!a.some((x) => /creds|password|token/.test(x)));
    assert.deepEqual(a.slice(-2), [
      'docker://127.0.0.1:8080/dev/app@sha256:1',
      'docker://127.0.0.1:8080/stg/app:1.0',
    ]);
  });

  it('registries.d turns on sigstore attachments for the registry host', () => {
    assert.deepEqual(parse(sigstoreRegistriesYaml('127.0.0.1:8080')), {
      docker: { '127.0.0.1:8080': { 'use-sigstore-attachments': true } },
    });
  });
});

describe('gitops commit message', () => {
  it('names digest and promotion id', () => {
    const m = commitMessage({
      environment: 'staging',
      overlayPath: 'x',
      imageName: 'app',
      newName: 'h/p/app',
      digest: 'sha256:9',
      promotionId: 'promo-1',
    });
    assert.match(m, /sha256:9/);
    assert.match(m, /Promotion-Id: promo-1/);
  });

  it('a rollback says so, from which digest to which, and who asked', () => {
    const m = commitMessage(
      {
        environment: 'production',
        overlayPath: 'x',
        imageName: 'app',
        newName: 'h/p/app',
        newTag: '1.0.1',
        digest: 'sha256:1',
        promotionId: 'rollback-production/app@sha256:1',
        rollback: { requestedBy: 'alice' },
      },
      'sha256:2',
    );
    assert.match(m, /^rollback app in production from sha256:2 to sha256:1\n/);
    assert.match(m, /Rolled-Back-From: sha256:2/);
    assert.match(m, /Rollback-Id: rollback-production\/app@sha256:1/);
    assert.match(m, /Requested-By: alice/);
  });
});

describe('cosign policy blocks', () => {
  it('a running scan is transient, a vulnerable image is the quarantine', async () => {
    const { policyBlock } = await import('../../../src/activities/cosign.js');
    const running = `Error: x: GET http://h/v2/p/r/manifests/sha256:1: PROJECTPOLICYVIOLATION: current image with "Running" status of vulnerability scanning cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.' To continue with pull, please contact your project administrator for help.`;
    assert.equal(policyBlock(running)?.transient, true);
    const vulnerable = `PROJECTPOLICYVIOLATION: current image with 3 vulnerabilities cannot be pulled due to configured policy`;
    assert.deepEqual(policyBlock(vulnerable), {
      message: 'current image with 3 vulnerabilities cannot be pulled due to configured policy',
      transient: false,
    });
    assert.equal(policyBlock('Error: UNAUTHORIZED'), undefined);
  });
});
