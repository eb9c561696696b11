// `harbor-promote doctor` without a server: bad input is exit 2 before contacting anything, no Temporal is
// exit 3, and the help documents exit 8. (The checks themselves: test/integration/doctor/doctor.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ExitCode } from '../../../src/cli/exit-codes';
import { runCli } from '../../../src/cli/program';

let dir: string;
let closedPort: number;

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` },
  });
  return { code, stdout, stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-cli-'));
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closedPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
});

describe('harbor-promote doctor (CLI)', () => {
  it('a bad pipeline is exit 2 with the field and the fix, nothing contacted', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: harbor-promote/v1\nregistry: h.example.com\nenvironments:\n  - { name: dev, project: platform-dev, scan: true }\n  - { name: stg, project: platform-staging }\n',
    );
    const r = await cli(['doctor', '--pipeline', file]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(r.stderr, /environments\[0\]\.scan: must be `false` \(no scan gate\) or a mapping/);
    assert.doesNotMatch(r.stderr, /Temporal/);
  });

  it('no Temporal: exit 3, one line', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      'apiVersion: harbor-promote/v1\nregistry: h.example.com\nenvironments:\n  - { name: dev, project: platform-dev }\n  - { name: stg, project: platform-staging }\n',
    );
    const r = await cli(['doctor', '--pipeline', file]);
    assert.equal(r.code, ExitCode.UNREACHABLE, r.stderr);
    assert.match(r.stderr, /^harbor-promote: cannot reach Temporal/);
  });

  it('help names the command, start --skip-doctor, and exit code 8', async () => {
    const help = await cli(['--help']);
    assert.match(help.stdout, /\n {2}doctor /);
    assert.match(help.stdout, /\n {2}8 {2}doctor found a problem/);
    const start = await cli(['start', '--help']);
    assert.match(start.stdout, /--skip-doctor/);
    assert.equal(ExitCode.CHECKS_FAILED, 8);
  });
});
