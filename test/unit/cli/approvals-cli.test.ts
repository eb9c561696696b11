/**
 * The CLI side of issue 11 items 3 and 4, without a server: who the requester is (`start
 * --requested-by` only where the pipeline allows it, else the OS user), `--sign-key` checked before
 * anything is sent, and signing through `ssh-keygen -Y sign` (statement on stdin, no key material on argv).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../../src/cli/exit-codes';
import { runCli } from '../../../src/cli/program';
import { sshSign } from '../../../src/cli/sign-approval';
import { verifySshSignature } from '../../../src/domain/sshsig';
import { APPROVAL_NAMESPACE, parseAllowedSigners } from '../../../src/domain/approval-statement';

const PIPELINE = (head = '') => `apiVersion: harbor-promote/v1
registry: harbor.example.com
${head}environments:
  - name: dev
    project: platform-dev
  - name: production
    project: platform-production
    approval: { approvers: [alice, bob] }
`;

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

const keygen = (args: string[]) => spawnSync('ssh-keygen', args, { encoding: 'utf8' });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'approvals-cli-'));
  writeFileSync(join(dir, 'strict.yaml'), PIPELINE());
  writeFileSync(join(dir, 'ci.yaml'), PIPELINE('allowRequestedBy: true\n'));
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closedPort = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the requester', () => {
  it('is the OS user by default', async () => {
    const r = await cli([
      'start',
      'myservice:1.0.0',
      '--pipeline',
      join(dir, 'strict.yaml'),
      '--dry-run',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { input: { requestedBy?: string } }).input.requestedBy,
      userInfo().username,
    );
  });

  it('--requested-by is refused unless the pipeline has allowRequestedBy: true, and nothing starts', async () => {
    const r = await cli([
      'start',
      'myservice:1.0.0',
      '--pipeline',
      join(dir, 'strict.yaml'),
      '--requested-by',
      'bob',
    ]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(
      r.stderr,
      /^harbor-promote: --requested-by: .*strict\.yaml does not allow naming the requester \(the requester is your OS user ".+"\); leave --requested-by out, or set `allowRequestedBy: true` at the top of the pipeline\n$/,
    );
    const ok = await cli([
      'start',
      'myservice:1.0.0',
      '--pipeline',
      join(dir, 'ci.yaml'),
      '--requested-by',
      'bob',
      '--dry-run',
      '--json',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { input: { requestedBy?: string } }).input.requestedBy, 'bob');
  });
});

describe('--sign-key', () => {
  it('a missing key file is a usage error before anything is sent', async () => {
    for (const cmd of [['approve'], ['reject', '--reason', 'no']]) {
      const r = await cli([
        ...cmd,
        'promote-x@1',
        '--env',
        'production',
        '--as',
        'alice',
        '--sign-key',
        join(dir, 'nope'),
      ]);
      assert.equal(r.code, ExitCode.USAGE, r.stderr);
      assert.match(
        r.stderr,
        /--sign-key: .*nope does not exist; give your SSH private key \(e\.g\. ~\/\.ssh\/id_ed25519\), or its \.pub file when the key is in ssh-agent/,
      );
    }
  });

  it('signs through ssh-keygen in the approval namespace; the signature verifies', async () => {
    const key = join(dir, 'alice');
    assert.equal(keygen(['-q', '-t', 'ed25519', '-N', '', '-f', key]).status, 0);
    const sig = await sshSign('{"statement":1}', key);
    const { signers } = parseAllowedSigners(`alice ${readFileSync(`${key}.pub`, 'utf8')}`);
    assert.equal(verifySshSignature('{"statement":1}', sig, signers, APPROVAL_NAMESPACE).valid, true);
  });

  it('a key ssh-keygen cannot use gives one line with the fix', async () => {
    const key = join(dir, 'locked');
    assert.equal(keygen(['-q', '-t', 'ed25519', '-N', 'secret-passphrase', '-f', key]).status, 0);
    // No terminal here and no agent: ssh-keygen cannot ask for the passphrase.
    const err = await sshSign('x', `${key}.pub`).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(
      String(err?.message),
      /^ssh-keygen -Y sign with .*locked\.pub failed.*load it into ssh-agent and give the \.pub file\)$/,
    );
    assert.doesNotMatch(String(err?.message), /secret-passphrase/);
  });
});
