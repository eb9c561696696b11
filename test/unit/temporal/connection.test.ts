/**
 * One module builds the Temporal connection options for the CLI and the worker: the same settings give
 * the same TLS and API key to both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectionOptions, connectionSettings } from '../../../src/cli/connection.js';
import { temporalConnectionOptions } from '../../../src/temporal/connection.js';
import { loadWorkerConfig } from '../../../src/worker/config.js';

const dir = mkdtempSync(join(tmpdir(), 'hp-tls-'));
const pem = (name: string) => {
  const p = join(dir, name);
  writeFileSync(p, `-----BEGIN ${name}-----\n`);
  return p;
};

describe('temporalConnectionOptions', () => {
  it('plain: no TLS, no key', () => {
    assert.deepEqual(temporalConnectionOptions({ address: 'h:7233' }), { address: 'h:7233' });
  });

  it('TLS with nothing else: system CAs (an empty TLS config still turns TLS on)', () => {
    assert.deepEqual(temporalConnectionOptions({ address: 'h:7233', tls: {} }), {
      address: 'h:7233',
      tls: {},
    });
  });

  it('mTLS, a private CA, a server name and an API key', () => {
    const [cert, key, ca] = [pem('CERT'), pem('KEY'), pem('CA')];
    const o = temporalConnectionOptions({
      address: 'h:7233',
      tls: { certPath: cert, keyPath: key, caPath: ca, serverName: 'temporal.internal' },
      apiKey: 'k',
    });
    assert.equal(o.apiKey, 'k');
    assert.equal(o.tls?.serverNameOverride, 'temporal.internal');
    assert.equal(String(o.tls?.serverRootCACertificate), '-----BEGIN CA-----\n');
    assert.equal(String(o.tls?.clientCertPair?.crt), '-----BEGIN CERT-----\n');
    assert.equal(String(o.tls?.clientCertPair?.key), '-----BEGIN KEY-----\n');
  });

  it('the CLI gets the same options from its flags, plus its connect timeout; a missing file names the flag', () => {
    const ca = pem('CA');
    const s = connectionSettings({ address: 'h:7233', tlsCaPath: ca }, {});
    const o = connectionOptions(s, 1234);
    assert.equal(o.connectTimeout, 1234);
    assert.deepEqual(
      { ...o, connectTimeout: undefined },
      { ...temporalConnectionOptions({ address: 'h:7233', tls: { caPath: ca } }), connectTimeout: undefined },
    );
    const missing = connectionSettings({ address: 'h:7233', tlsCaPath: join(dir, 'nope.pem') }, {});
    assert.throws(() => connectionOptions(missing), /--tls-ca-path .*nope\.pem cannot be read \(ENOENT\)/);
  });
});

describe('TEMPORAL_TLS means the same to the CLI and the worker', () => {
  const workerEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    HARBOR_URL: 'http://127.0.0.1:8080',
    HARBOR_USERNAME: 'robot$promoter',
    HARBOR_PASSWORD: 'not-a-real-secret',
    COSIGN_KEY_FILE: '/k',
    COSIGN_PUBLIC_KEY_FILE: '/k.pub',
    COSIGN_PASSWORD: 'pw',
    GITOPS_REPO_URL: '/srv/gitops.git',
    ...extra,
  });
  const cases: Record<string, string>[] = [
    {},
    { TEMPORAL_TLS: '1' },
    { TEMPORAL_TLS: 'true' },
    { TEMPORAL_TLS: '0' },
    { TEMPORAL_TLS: 'false' },
    { TEMPORAL_TLS: '0', TEMPORAL_TLS_CA: '/ca.pem' },
    { TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' },
    { TEMPORAL_API_KEY: 'k' },
  ];
  for (const env of cases)
    it(`${JSON.stringify(env)}: TLS on for both or off for both`, () => {
      const cli = connectionSettings({}, env).tls !== undefined;
      const worker = loadWorkerConfig(workerEnv(env), false).temporal.tls !== undefined;
      assert.equal(cli, worker);
    });

  it('a value that is neither 1 nor 0 is refused by both, naming TEMPORAL_TLS', () => {
    assert.throws(() => connectionSettings({}, { TEMPORAL_TLS: 'yes' }), /TEMPORAL_TLS must be 1 or 0/);
    assert.throws(
      () => loadWorkerConfig(workerEnv({ TEMPORAL_TLS: 'yes' }), false),
      /TEMPORAL_TLS must be 1 or 0/,
    );
  });
});
