// `harbor-promote verify`: what it accepts as IMAGE@DIGEST, and the command-line refusals (exit 2, naming
// the flag) that happen before anything is read from a registry.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { locate } from '../../../src/cli/commands/verify.js';
import { runCli } from '../../../src/cli/program.js';
import { validatePipeline } from '../../../src/domain/pipeline.js';

const D = `sha256:${'a'.repeat(64)}`;
const file = {
  apiVersion: 'harbor-promote/v1',
  registry: 'harbor.example.com',
  environments: [
    { name: 'dev', project: 'platform-dev' },
    { name: 'production', project: 'platform-prod' },
    { name: 'dr', project: 'platform-dr', repository: 'mirror/myservice' },
  ],
};
const pipeline = validatePipeline(file);
const [, prod, dr] = pipeline.environments;

describe('verify IMAGE@DIGEST', () => {
  it('host, project and repository, or less: always the environment’s project', () => {
    for (const image of [
      `harbor.example.com/platform-prod/team/app@${D}`,
      `localhost/platform-prod/team/app@${D}`,
      `platform-prod/team/app@${D}`,
      `team/app@${D}`,
    ])
      assert.deepEqual(locate(image, pipeline, prod!), {
        project: 'platform-prod',
        repository: 'team/app',
        digest: D,
      });
    // An environment with its own repository name wins, as in a promotion.
    assert.deepEqual(locate(`myservice@${D}`, pipeline, dr!), {
      project: 'platform-dr',
      repository: 'mirror/myservice',
      digest: D,
    });
  });

  for (const [image, why] of [
    [
      'harbor.example.com/platform-prod/app:1.0',
      /has no @sha256:<digest>; verify checks a digest, never a tag/,
    ],
    ['platform-prod/app@sha256:abc', /IMAGE digest .* is not a sha256 digest/],
    [`platform-dev/app@${D}`, /IMAGE is in project platform-dev, but production is project platform-prod/],
    [`platform-prod/App@${D}`, /IMAGE repository .*upper case/],
  ] as const)
    it(`refuses ${image}`, () => assert.throws(() => locate(image, pipeline, prod!), why));
});

describe('verify command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-verify-cli-'));
  const pfile = join(dir, 'pipeline.yaml');
  writeFileSync(pfile, stringify(file));
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    let err = '';
    const code = await runCli(['verify', ...args], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s) },
      env,
    });
    return { code, err };
  };

  it('an environment that is not a destination: exit 2', async () => {
    const r = await run([`app@${D}`, '--env', 'dev', '--pipeline', pfile]);
    assert.deepEqual(
      [r.code, r.err.trim()],
      [2, 'harbor-promote: --env dev is not a destination of ' + pfile + '; use one of production, dr'],
    );
  });

  it('no key: exit 2 naming --key', async () => {
    const r = await run([`app@${D}`, '--env', 'production', '--pipeline', pfile]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--key: give the promoter's cosign public key \(or set COSIGN_PUBLIC_KEY_FILE\)/);
  });

  it('a key file that is not a public key: exit 2 naming it', async () => {
    const k = join(dir, 'not.pub');
    writeFileSync(k, 'hello');
    const r = await run([`app@${D}`, '--env', 'production', '--pipeline', pfile, '--key', k]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--key .*not\.pub: not a PEM public key/);
  });

  it('no Harbor account: exit 2 naming the variables', async () => {
    const k = join(dir, 'k.pub');
    writeFileSync(
      k,
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX6NXkq/EilDzdhlCfGkze3guxpEL\nwroqRyXB4hSTd5oY5LYDBp8bi93NRlbV1SXtyG3/3XcHxVSVnVSHjmcMqw==\n-----END PUBLIC KEY-----\n',
    );
    const r = await run([`app@${D}`, '--env', 'production', '--pipeline', pfile, '--key', k]);
    assert.equal(r.code, 2);
    assert.match(r.err, /set HARBOR_USERNAME and HARBOR_PASSWORD \(or HARBOR_PASSWORD_FILE\)/);
  });
});
