import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityConfigFromEnv, resolveConfig } from '../../../src/activities/config.js';

const base = {
  HARBOR_URL: 'http://127.0.0.1:8080',
  HARBOR_USERNAME: 'robot$promoter',
  HARBOR_PASSWORD_FILE: '/s/promoter-secret',
  COSIGN_KEY_FILE: '/s/cosign.key',
  COSIGN_PUBLIC_KEY_FILE: '/s/cosign.pub',
  COSIGN_PASSWORD: 'pw',
  GITOPS_REPO_URL: '/s/gitops.git',
};

describe('activity config', () => {
  it('reads the documented environment, preferring *_FILE secrets', () => {
    const c = activityConfigFromEnv({ ...base, HARBOR_PASSWORD: 'inline' });
    assert.deepEqual(c.harborPassword, { file: '/s/promoter-secret' });
    assert.deepEqual(c.cosignPassword, { value: 'pw' });
    assert.deepEqual(c.cosignKey, { file: '/s/cosign.key' });
  });

  it('lists everything that is missing at once, without values', () => {
    assert.throws(
      () => activityConfigFromEnv({ HARBOR_URL: 'http://h' }),
      /HARBOR_USERNAME.*HARBOR_PASSWORD or HARBOR_PASSWORD_FILE.*GITOPS_REPO_URL/,
    );
  });

  it('derives the registry host and plain-HTTP mode from the Harbor URL', () => {
    const r = resolveConfig(activityConfigFromEnv(base));
    assert.equal(r.registryHost, '127.0.0.1:8080');
    assert.equal(r.plainHttp, true);
    const s = resolveConfig({ ...activityConfigFromEnv(base), harborUrl: 'https://harbor.example.com' });
    assert.equal(s.registryHost, 'harbor.example.com');
    assert.equal(s.plainHttp, false);
    assert.equal(s.gitopsBranch, 'main');
  });
});
