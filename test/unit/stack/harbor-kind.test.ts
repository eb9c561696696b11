/**
 * Which Harbor a stack runs: STACK_HARBOR wins, else what `up` remembered in $STACK_DIR/harbor-kind, else
 * harbor-sim; a wrong value names where it came from and the accepted values. Real Harbor's extra ports
 * follow their variables. And the stack's generated secrets pass real Harbor's secret rule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { harborKindFile, secret, stackConfig } from '../../../dev/stack/config';
import { harborAcceptsSecret } from '../../../dev/harbor-real/seed';

describe('stack Harbor kind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harbor-kind-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is harbor-sim when nothing says otherwise', () => {
    assert.equal(stackConfig({ STACK_DIR: dir }).harbor, 'sim');
  });

  it('follows what up remembered in the stack directory, and STACK_HARBOR over that', () => {
    writeFileSync(harborKindFile(dir), 'real\n');
    assert.equal(stackConfig({ STACK_DIR: dir }).harbor, 'real');
    assert.equal(stackConfig({ STACK_DIR: dir, STACK_HARBOR: 'sim' }).harbor, 'sim');
    rmSync(harborKindFile(dir));
  });

  it('refuses an unknown kind, naming the variable and the choices', () => {
    assert.throws(
      () => stackConfig({ STACK_DIR: dir, STACK_HARBOR: 'harbor' }),
      /STACK_HARBOR=harbor is not a Harbor kind: use sim \(harbor-sim\) or real/,
    );
  });

  it("takes real Harbor's ports from their variables", () => {
    const c = stackConfig({
      STACK_DIR: dir,
      STACK_HARBOR_REGISTRY_PORT: '25101',
      STACK_JOBSERVICE_PORT: '28181',
      STACK_POSTGRES_PORT: '25433',
      STACK_REDIS_PORT: '26380',
      STACK_SCANNER_PORT: '28282',
    });
    assert.deepEqual(
      [c.harborRegistryPort, c.jobservicePort, c.postgresPort, c.redisPort, c.scannerPort],
      [25101, 28181, 25433, 26380, 28282],
    );
    assert.throws(
      () => stackConfig({ STACK_DIR: dir, STACK_REDIS_PORT: 'x' }),
      /STACK_REDIS_PORT=x is not a port/,
    );
  });

  it('makes secrets real Harbor accepts (upper, lower, digit, 8+)', () => {
    const c = stackConfig({ STACK_DIR: dir });
    for (const name of ['admin-password', 'ci-secret', 'promoter-secret', 'guest-password'])
      assert.ok(harborAcceptsSecret(secret(c, name)), name);
    assert.equal(
      harborAcceptsSecret('guest-0123456789abcdef'),
      false,
      'the old format had no upper-case letter',
    );
  });
});
