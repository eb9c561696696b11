/**
 * cosign's encrypted private key, as `cosign generate-key-pair` / `import-key-pair` write it: a PEM block
 * "ENCRYPTED SIGSTORE PRIVATE KEY" (older keys: "ENCRYPTED COSIGN PRIVATE KEY") whose body is the JSON of
 * go-securesystemslib's `encrypted` package:
 *   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":b64},
 *    "cipher":{"name":"nacl/secretbox","nonce":b64(24 bytes)},"ciphertext":b64(tag(16) ‖ box)}
 * key = scrypt(password, salt, N, r, p, 32); plaintext = NaCl secretbox open (XSalsa20-Poly1305; the 16-byte
 * Poly1305 tag comes first, the layout of @noble/ciphers' xsalsa20poly1305) = the PKCS#8 DER private key.
 * cosign accepts only three scrypt parameter sets (go-securesystemslib CheckParams: legacy N=2^15, standard
 * N=2^16, OWASP N=2^17; all r=8, p=1) and refuses any other with "unsupported scrypt parameters", so this
 * module does the same, and the cheapest key it can write for cosign is the legacy one.
 * Format and crypto only, no file I/O: the worker's session copy of the key is built in session-key.ts.
 */
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa';
import { z } from 'zod';

export const SIGSTORE_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const PEM_TYPES = [SIGSTORE_PEM_TYPE, 'ENCRYPTED COSIGN PRIVATE KEY'];

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
/** The parameter sets cosign accepts, in go-securesystemslib's names. */
export const SCRYPT_PARAMS = {
  legacy: { N: 32_768, r: 8, p: 1 },
  standard: { N: 65_536, r: 8, p: 1 },
  owasp: { N: 131_072, r: 8, p: 1 },
} as const satisfies Record<string, ScryptParams>;

const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/** Why a key cannot be used: `password` when the secretbox does not open (wrong password), else `format`. */
export class CosignKeyError extends Error {
  override name = 'CosignKeyError';
  constructor(
    readonly reason: 'format' | 'password',
    message: string,
  ) {
    super(message);
  }
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const Envelope = z.object({
  kdf: z.object({
    name: z.string(),
    params: z.object({ N: z.number().int(), r: z.number().int(), p: z.number().int() }),
    salt: b64,
  }),
  cipher: z.object({ name: z.string(), nonce: b64 }),
  ciphertext: b64,
});

export interface EncryptedKey {
  pemType: string;
  params: ScryptParams;
  salt: Buffer;
  nonce: Buffer;
  /** tag ‖ secretbox, as NaCl and go's secretbox.Seal lay it out. */
  ciphertext: Buffer;
}

/** The first PEM block and its JSON envelope, checked as cosign checks it before deriving any key. */
export function parseEncryptedKey(pem: string): EncryptedKey {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) throw new CosignKeyError('format', 'not a PEM block');
  const pemType = m[1]!;
  if (!PEM_TYPES.includes(pemType))
    throw new CosignKeyError('format', `unsupported PEM type ${pemType} (expected ${SIGSTORE_PEM_TYPE})`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64').toString('utf8'));
  } catch {
    throw new CosignKeyError('format', 'the PEM body is not the JSON of an encrypted key');
  }
  const parsed = Envelope.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CosignKeyError('format', `encrypted key field ${i.path.join('.')}: ${i.message}`);
  }
  const e = parsed.data;
  if (e.kdf.name !== 'scrypt') throw new CosignKeyError('format', `unknown kdf name "${e.kdf.name}"`);
  if (e.cipher.name !== 'nacl/secretbox')
    throw new CosignKeyError('format', `unknown cipher name "${e.cipher.name}"`);
  const params = e.kdf.params;
  // As cosign: anything else is refused before deriving (a tampered N must not cost minutes or gigabytes).
  if (!Object.values(SCRYPT_PARAMS).some((s) => s.N === params.N && s.r === params.r && s.p === params.p))
    throw new CosignKeyError(
      'format',
      `unsupported scrypt parameters N=${params.N} r=${params.r} p=${params.p}`,
    );
  const nonce = Buffer.from(e.cipher.nonce, 'base64');
  const ciphertext = Buffer.from(e.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES) throw new CosignKeyError('format', 'incorrect nonce size');
  if (ciphertext.length < TAG_BYTES) throw new CosignKeyError('format', 'ciphertext too short');
  return { pemType, params, salt: Buffer.from(e.kdf.salt, 'base64'), nonce, ciphertext };
}

/** scrypt on libuv's thread pool: a 0.1-0.2 s derivation must not stall the worker's event loop. */
function deriveKey(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // Node refuses more than 32 MiB by default; scrypt needs about 128·N·r bytes (64 MiB for N=2^16).
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r * p };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** The PKCS#8 DER private key inside; CosignKeyError('password') when the password does not open it. */
export async function decryptKey(pem: string, password: string): Promise<Buffer> {
  const k = parseEncryptedKey(pem);
  const key = await deriveKey(password, k.salt, k.params);
  try {
    return Buffer.from(xsalsa20poly1305(key, k.nonce).decrypt(k.ciphertext));
  } catch {
    // The Poly1305 tag does not match: a wrong password (or a corrupted file), cosign's "decryption failed".
    throw new CosignKeyError('password', 'decryption failed');
  } finally {
    key.fill(0);
  }
}

/** `plaintext` encrypted under `password` with a fresh salt and nonce, as the PEM cosign reads. */
export async function encryptKey(
  plaintext: Uint8Array,
  password: string,
  params: ScryptParams = SCRYPT_PARAMS.standard,
): Promise<string> {
  const salt = randomBytes(32);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt, params);
  const ciphertext = Buffer.from(xsalsa20poly1305(key, nonce).encrypt(plaintext));
  key.fill(0);
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  });
  const body = Buffer.from(json).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${SIGSTORE_PEM_TYPE}-----\n${body}\n-----END ${SIGSTORE_PEM_TYPE}-----\n`;
}
