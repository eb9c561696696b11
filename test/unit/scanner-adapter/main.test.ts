// dev/scanner-adapter/main.ts: its environment interface, refused clearly when wrong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '../../..');
const run = (env: Record<string, string>) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['SCANNER_ADAPTER_PORT', 'SCANNER_ADVISORIES']) if (!(k in env)) delete e[k];
  return spawnSync(process.execPath, ['--import', 'tsx', 'dev/scanner-adapter/main.ts'], {
    cwd: ROOT,
    env: e,
    encoding: 'utf8',
    timeout: 20_000,
  });
};

test('no port, a bad port or a missing advisories file: exit 2 with the variable named', () => {
  const none = run({});
  assert.equal(none.status, 2);
  assert.match(none.stderr, /SCANNER_ADAPTER_PORT is not set; e\.g\. SCANNER_ADAPTER_PORT=8090/);
  const bad = run({ SCANNER_ADAPTER_PORT: 'eighty' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /SCANNER_ADAPTER_PORT must be a port number/);
  const adv = run({ SCANNER_ADAPTER_PORT: '1', SCANNER_ADVISORIES: '/nonexistent/advisories.json' });
  assert.equal(adv.status, 2);
  assert.match(adv.stderr, /advisories file \/nonexistent\/advisories\.json: .*\(set SCANNER_ADVISORIES\)/);
});
