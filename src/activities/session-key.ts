/**
 * The worker's session copy of the cosign signing key (tracker issue 13, "drain fast"). cosign re-derives
 * the operator key's scrypt key (N=2^16: ~0.2 s of CPU) in every `cosign sign` and `cosign attest` process,
 * three per promotion. Instead the worker opens the operator's key once per process (cosign-key.ts), and
 * re-encrypts the same private key bytes under a random 256-bit session password with the cheapest scrypt
 * parameters cosign accepts (legacy, N=2^15: half the CPU; cosign refuses anything cheaper). With a random
 * 256-bit password the KDF adds no protection, so the weaker parameters cost nothing in security; they are
 * only there because cosign insists on one of its three parameter sets. cosign then gets the session copy
 * and COSIGN_PASSWORD = the session password: the operator's password reaches no cosign process.
 * The session copy lives in memory and is written into each run's private dir (0700 dir, 0600 file,
 * removed after the run), so nothing outlives the activity on disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CosignKeyError, decryptKey, encryptKey, SCRYPT_PARAMS } from './cosign-key.js';

/** Where the operator's key comes from: COSIGN_KEY_FILE, or the PEM itself (COSIGN_KEY). */
export type KeySource = { file: string } | { pem: string };

export class SessionKeyError extends Error {
  override name = 'SessionKeyError';
}

export class SigningKeySession {
  /** base64url of 32 random bytes; per process, registered with the Redactor by buildActivities. */
  readonly password = randomBytes(32).toString('base64url');
  private cached?: { hash: string; pem: Promise<string> };

  constructor(
    private readonly source: KeySource,
    private readonly operatorPassword: string,
  ) {}

  /** How the settings name the key in messages. */
  get name(): string {
    return 'file' in this.source ? `COSIGN_KEY_FILE ${this.source.file}` : 'COSIGN_KEY';
  }

  /**
   * The session PEM for the operator's key as it is now. The key file is re-read on each call (cheap), and
   * derived again only when its content changed: a rotated key takes effect without a restart, as it did
   * when cosign read the file itself. Concurrent first calls share one derivation (the promise is cached
   * synchronously after the read); a wrong password or a foreign key is remembered for that content too.
   */
  async pem(): Promise<string> {
    const text =
      'file' in this.source
        ? await readFile(this.source.file, 'utf8').catch((e: Error) => {
            throw new SessionKeyError(
              `${this.name}: cannot read the cosign private key (${e.message}); point COSIGN_KEY_FILE at the cosign.key written by \`cosign generate-key-pair\``,
            );
          })
        : this.source.pem;
    const hash = createHash('sha256').update(text).digest('hex');
    if (this.cached?.hash !== hash) {
      const pem = this.reencrypt(text);
      this.cached = { hash, pem };
      // The caller awaits it (no unhandled rejection meanwhile). Only the key's own verdict is kept: an
      // unexpected failure (out of memory for scrypt) is tried again on the next call.
      pem.catch((err: unknown) => {
        if (!(err instanceof SessionKeyError) && this.cached?.pem === pem) this.cached = undefined;
      });
    }
    return this.cached.pem;
  }

  private async reencrypt(text: string): Promise<string> {
    let der: Buffer;
    try {
      der = await decryptKey(text, this.operatorPassword);
    } catch (err) {
      if (!(err instanceof CosignKeyError)) throw err;
      throw new SessionKeyError(
        err.reason === 'password'
          ? `COSIGN_PASSWORD does not open ${this.name} (decryption failed): set COSIGN_PASSWORD or COSIGN_PASSWORD_FILE to the password the key was created with (\`cosign generate-key-pair\`), or point COSIGN_KEY_FILE at the key that password opens`
          : `${this.name} is not a cosign private key cosign can read: ${err.message}; use the cosign.key written by \`cosign generate-key-pair\` (or \`cosign import-key-pair\`)`,
      );
    }
    try {
      return await encryptKey(der, this.password, SCRYPT_PARAMS.legacy);
    } finally {
      der.fill(0);
    }
  }
}
