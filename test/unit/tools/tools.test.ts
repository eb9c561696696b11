import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { checkGo, compareVersions, loadTools, parseGoVersion } from '../../../scripts/tools';

const run = promisify(execFile);
const cosign = loadTools().cosign!;

describe('tools: Go version check', () => {
  it('reads the version from `go version`', () => {
    assert.equal(parseGoVersion('go version go1.26.8 linux/amd64'), '1.26.8');
    assert.equal(parseGoVersion('go version go1.25 linux/amd64'), '1.25');
    assert.equal(parseGoVersion('bash: go: command not found'), undefined);
  });

  it('compares versions numerically, not as text', () => {
    assert.ok(compareVersions('1.26.0', '1.9.9') > 0);
    assert.ok(compareVersions('1.25.7', '1.26.0') < 0);
    assert.equal(compareVersions('1.26', '1.26.0'), 0);
  });

  it('accepts a Go that is new enough', () => {
    assert.doesNotThrow(() => checkGo('cosign', cosign, 'go version go1.26.8 linux/amd64'));
  });

  it('refuses an older Go, naming the tool, both versions and the fix', () => {
    assert.throws(
      () => checkGo('cosign', cosign, 'go version go1.25.7 linux/amd64'),
      /cosign v3\.1\.2: it needs Go 1\.26\.0 or newer, found Go 1\.25\.7.*install Go 1\.26\.0\+/,
    );
  });

  it('says how to get Go when it is missing', () => {
    assert.throws(
      () => checkGo('cosign', cosign, undefined),
      /Go toolchain was not found on PATH. Install Go 1\.26\.0/,
    );
  });

  it('the script fails with that message when go is not on PATH, and builds nothing', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tools-cache-'));
    const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const script = join(__dirname, '..', '..', '..', 'scripts', 'tools.ts');
    const err = await run(process.execPath, [tsx, script, 'build', 'cosign'], {
      env: { PATH: '/nonexistent', HARBOR_PROMOTE_TOOLS_DIR: cache, HOME: cache },
    }).then(
      () => assert.fail('the build should fail without go'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stderr, /the Go toolchain was not found on PATH/);
  });
});
