// cosign's encrypted private key format and the worker's session copy of it (cosign-key.ts, session-key.ts).
// The fixture was written by the real cosign v3.1.2 (`cosign generate-key-pair`, password FIXTURE_PW below);
// test/integration/activities/session-key.test.ts runs the real binary on the session copy.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CosignKeyError,
  decryptKey,
  encryptKey,
  parseEncryptedKey,
  SCRYPT_PARAMS,
} from '../../../src/activities/cosign-key.js';
import { SessionKeyError, SigningKeySession } from '../../../src/activities/session-key.js';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'cosign-key'); // test-only key pair (real cosign output)
const KEY_FILE = join(FIXTURES, 'cosign.key');
const KEY = readFileSync(KEY_FILE, 'utf8');
const PUB = readFileSync(join(FIXTURES, 'cosign.pub'), 'utf8');
const FIXTURE_PW = 'fixture-pw: not a secret';

/** The public half of a PKCS#8 DER private key, as the PEM `cosign generate-key-pair` writes to cosign.pub. */
const publicPem = (der: Buffer) =>
  createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))
    .export({ type: 'spki', format: 'pem' })
    .toString();

/** The JSON inside an encrypted-key PEM. */
const envelope = (pem: string) =>
  JSON.parse(Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64').toString()) as {
    kdf: { params: { N: number } };
  };

/** The same PEM with its JSON changed by `edit`. */
function tampered(edit: (json: Record<string, unknown>) => void, pem = KEY): string {
  const json = envelope(pem) as unknown as Record<string, unknown>;
  edit(json);
  const body = Buffer.from(JSON.stringify(json)).toString('base64');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

const tmp = mkdtempSync(join(tmpdir(), 'cosign-key-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('the encrypted key cosign writes', () => {
  it('opens with its password: the private key inside is the one whose public half is cosign.pub', async () => {
    assert.deepEqual(parseEncryptedKey(KEY).params, SCRYPT_PARAMS.standard);
    const der = await decryptKey(KEY, FIXTURE_PW);
    assert.equal(publicPem(der).trim(), PUB.trim());
  });

  it('a wrong password is a "password" error, not a format error', async () => {
    const err = await decryptKey(KEY, 'wrong').catch((e: unknown) => e);
    assert.ok(err instanceof CosignKeyError);
    assert.equal(err.reason, 'password');
  });

  it('refuses what cosign refuses, before deriving anything: other scrypt parameters, kdf, cipher, PEM type', () => {
    const cases: [string, string][] = [
      [
        tampered((j) => ((j.kdf as { params: { N: number } }).params.N = 1024)),
        'unsupported scrypt parameters',
      ],
      [tampered((j) => ((j.kdf as { name: string }).name = 'argon2')), 'unknown kdf name'],
      [tampered((j) => ((j.cipher as { name: string }).name = 'aes-gcm')), 'unknown cipher name'],
      [tampered((j) => ((j.cipher as { nonce: string }).nonce = 'AAAA')), 'incorrect nonce size'],
      [tampered((j) => delete j.ciphertext), 'ciphertext'],
      [KEY.replaceAll('ENCRYPTED SIGSTORE PRIVATE KEY', 'PRIVATE KEY'), 'unsupported PEM type'],
      ['not a key', 'not a PEM block'],
    ];
    for (const [pem, message] of cases)
      assert.throws(
        () => parseEncryptedKey(pem),
        (e: unknown) => e instanceof CosignKeyError && e.reason === 'format' && e.message.includes(message),
        message,
      );
  });

  it('a re-encrypted key round-trips, with a fresh salt and nonce each time', async () => {
    const der = await decryptKey(KEY, FIXTURE_PW);
    const a = await encryptKey(der, 'session-pw', SCRYPT_PARAMS.legacy);
    const b = await encryptKey(der, 'session-pw', SCRYPT_PARAMS.legacy);
    assert.notEqual(a, b);
    assert.match(a, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    assert.ok(
      a.split('\n').every((l) => l.length <= 64),
      'PEM lines of 64 characters, as Go writes them',
    );
    assert.deepEqual(parseEncryptedKey(a).params, SCRYPT_PARAMS.legacy);
    assert.deepEqual(await decryptKey(a, 'session-pw'), der);
    await assert.rejects(decryptKey(a, FIXTURE_PW), (e: unknown) => e instanceof CosignKeyError);
  });
});

describe('SigningKeySession', () => {
  it('the session PEM holds the operator key under the session password, and never the operator password', async () => {
    const s = new SigningKeySession({ file: KEY_FILE }, FIXTURE_PW);
    assert.match(s.password, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.notEqual(new SigningKeySession({ file: KEY_FILE }, FIXTURE_PW).password, s.password);
    const pem = await s.pem();
    assert.deepEqual(parseEncryptedKey(pem).params, SCRYPT_PARAMS.legacy);
    assert.equal(publicPem(await decryptKey(pem, s.password)).trim(), PUB.trim());
    const decoded = Buffer.from(
      pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''),
      'base64',
    ).toString();
    for (const text of [pem, decoded]) {
      assert.ok(!text.includes(FIXTURE_PW), 'no operator password');
      assert.ok(!text.includes(s.password), 'no session password');
    }
    await assert.rejects(decryptKey(pem, FIXTURE_PW), /decryption failed/);
  });

  it('derives once per process: concurrent first calls and later calls get the same session copy', async () => {
    const s = new SigningKeySession({ pem: KEY }, FIXTURE_PW);
    const [a, b, c] = await Promise.all([s.pem(), s.pem(), s.pem()]);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal(await s.pem(), a); // a second derivation would have a fresh salt: a different PEM
  });

  it('a replaced key file is picked up without a restart', async () => {
    const file = join(tmp, 'rotating.key');
    writeFileSync(file, KEY);
    const s = new SigningKeySession({ file }, 'session-test-pw');
    const other = await encryptKey(await decryptKey(KEY, FIXTURE_PW), 'session-test-pw');
    await assert.rejects(s.pem(), SessionKeyError); // the fixture is not under this password
    writeFileSync(file, other);
    assert.equal(publicPem(await decryptKey(await s.pem(), s.password)).trim(), PUB.trim());
  });

  it('a wrong password names COSIGN_PASSWORD, the key file and the fix', async () => {
    const s = new SigningKeySession({ file: KEY_FILE }, 'Wr0ng-Passw0rd-123');
    const err = await s.pem().catch((e: unknown) => e);
    assert.ok(err instanceof SessionKeyError);
    assert.match(err.message, /^COSIGN_PASSWORD does not open COSIGN_KEY_FILE .*cosign\.key/);
    assert.match(err.message, /COSIGN_PASSWORD_FILE to the password the key was created with/);
    assert.ok(!err.message.includes('Wr0ng-Passw0rd-123'));
  });

  it('an unreadable or foreign key file names COSIGN_KEY_FILE and what to point it at', async () => {
    const missing = new SigningKeySession({ file: join(tmp, 'missing.key') }, FIXTURE_PW);
    await assert.rejects(missing.pem(), /^SessionKeyError: COSIGN_KEY_FILE .*missing\.key: cannot read/);
    const foreign = new SigningKeySession({ pem: PUB }, FIXTURE_PW);
    await assert.rejects(
      foreign.pem(),
      /COSIGN_KEY is not a cosign private key cosign can read: unsupported PEM type PUBLIC KEY/,
    );
  });
});
