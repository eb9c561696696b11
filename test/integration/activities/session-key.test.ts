// The worker's session copy of the cosign key (src/activities/session-key.ts) against the real cosign binary,
// offline (sign-blob/verify-blob, no registry, no transparency log): cosign signs with the session copy and
// the session password, the signature verifies with the operator's cosign.pub, and the operator's password
// does not open the session copy. Needs only the pinned cosign (COSIGN_BIN or the tools cache), no stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binaryPath } from '../../../scripts/tools';
import { SCRYPT_PARAMS, parseEncryptedKey } from '../../../src/activities/cosign-key.js';
import { SigningKeySession } from '../../../src/activities/session-key.js';

const COSIGN = process.env.COSIGN_BIN || binaryPath('cosign');
const OPERATOR_PW = 'operator-pw-for-this-test';
const dir = mkdtempSync(join(tmpdir(), 'session-key-it-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** cosign with only the environment it needs (HOME and TUF_ROOT private, nothing of the user's). */
function cosign(args: string[], password: string) {
  const r = spawnSync(COSIGN, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, TUF_ROOT: join(dir, 'tuf'), COSIGN_PASSWORD: password },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr };
}

/** Offline signing, as signArgs/attestArgs: no signing config, no transparency log, legacy output. */
const signBlob = (key: string, out: string) => [
  'sign-blob',
  '--key',
  key,
  '--use-signing-config=false',
  '--tlog-upload=false',
  '--new-bundle-format=false',
  '--output-signature',
  out,
  '--yes',
  'blob.txt',
];

describe('session key with the real cosign', () => {
  let session: SigningKeySession;
  let sessionKey: string;

  before(async () => {
    const g = cosign(['generate-key-pair'], OPERATOR_PW);
    assert.equal(g.code, 0, g.stderr);
    writeFileSync(join(dir, 'blob.txt'), 'promote me\n');
    session = new SigningKeySession({ file: join(dir, 'cosign.key') }, OPERATOR_PW);
    sessionKey = join(dir, 'session.key');
    writeFileSync(sessionKey, await session.pem(), { mode: 0o600 });
  });

  it('cosign signs with the session copy and the session password; cosign.pub verifies the signature', () => {
    assert.deepEqual(parseEncryptedKey(readFileSync(sessionKey, 'utf8')).params, SCRYPT_PARAMS.legacy);
    const s = cosign(signBlob(sessionKey, 'blob.sig'), session.password);
    assert.equal(s.code, 0, s.stderr);
    const v = cosign(
      ['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', '--insecure-ignore-tlog', 'blob.txt'],
      '',
    );
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /Verified OK/);
  });

  it("the operator's password does not open the session copy", () => {
    const s = cosign(signBlob(sessionKey, 'wrong.sig'), OPERATOR_PW);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /decryption failed/);
  });

  it('a signature by another key does not verify with cosign.pub (the check above can fail)', () => {
    const other = join(dir, 'other');
    assert.equal(cosign(['generate-key-pair', '--output-key-prefix', other], 'x').code, 0);
    assert.equal(cosign(signBlob(`${other}.key`, 'other.sig'), 'x').code, 0);
    const v = cosign(
      [
        'verify-blob',
        '--key',
        'cosign.pub',
        '--signature',
        'other.sig',
        '--insecure-ignore-tlog',
        'blob.txt',
      ],
      '',
    );
    assert.notEqual(v.code, 0);
  });
});
