/**
 * SSHSIG verification (the format of `ssh-keygen -Y sign`, OpenSSH PROTOCOL.sshsig) with node:crypto,
 * for `ssh-ed25519` and `ecdsa-sha2-nistp256` keys. Pure computation, no I/O: the worker's activity, the
 * CLI and `verify` (re-checking a promotion record without Temporal) all call it. Not for workflow code:
 * the workflow sandbox has no node:crypto (approval-statement.ts is the part the workflow uses).
 *
 * The armored signature is a blob:
 *   byte[6] "SSHSIG", uint32 version (1), string publickey, string namespace, string reserved,
 *   string hash_algorithm ("sha512" | "sha256"), string signature
 * and the key signs
 *   byte[6] "SSHSIG", string namespace, string reserved, string hash_algorithm, string H(message)
 * where string = uint32 big-endian length + bytes. The signature is itself `string algorithm, string
 * blob`: 64 bytes for Ed25519, `mpint r, mpint s` for ECDSA P-256 (over SHA-256 of the signed data).
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  APPROVAL_NAMESPACE,
  keysOf,
  parseAllowedSigners,
  parseApprovalStatement,
  type AllowedSigner,
  type ApprovalStatement,
} from './approval-statement.js';

const MAGIC = Buffer.from('SSHSIG');
const ARMOR = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/;

/** Reads SSH wire-format strings from a buffer; throws on a short or overlong field. */
class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (this.off + n > this.buf.length) throw new Error('truncated');
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  u32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.u32());
  }
  text(): string {
    return this.string().toString('latin1');
  }
  done(): boolean {
    return this.off === this.buf.length;
  }
}

const sshString = (b: Buffer | string): Buffer => {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
};

export interface SshSignature {
  /** The signer's public key blob (SSH wire format). */
  publicKey: Buffer;
  namespace: string;
  hashAlgorithm: string;
  signatureAlgorithm: string;
  signature: Buffer;
  reserved: Buffer;
}

/** Decodes an armored SSHSIG signature; throws an Error saying what is wrong with it. */
export function parseSshSignature(armored: string): SshSignature {
  const m = ARMOR.exec(armored);
  if (!m)
    throw new Error(
      'not an SSH signature (expected -----BEGIN SSH SIGNATURE----- … -----END SSH SIGNATURE-----)',
    );
  const blob = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  try {
    const r = new Reader(blob);
    if (!r.bytes(6).equals(MAGIC)) throw new Error('bad magic');
    const version = r.u32();
    if (version !== 1) throw new Error(`version ${version} is not supported (expected 1)`);
    const publicKey = r.string();
    const namespace = r.text();
    const reserved = r.string();
    const hashAlgorithm = r.text();
    const sig = new Reader(r.string());
    const signatureAlgorithm = sig.text();
    const signature = sig.string();
    if (!r.done() || !sig.done()) throw new Error('trailing data');
    return { publicKey, namespace, hashAlgorithm, signatureAlgorithm, signature, reserved };
  } catch (e) {
    throw new Error(`malformed SSH signature: ${(e as Error).message}`);
  }
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** A node:crypto key from an SSH public key blob (ed25519 or ECDSA P-256). */
function keyObject(blob: Buffer): { type: string; key: KeyObject } {
  const r = new Reader(blob);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const raw = r.string();
    if (raw.length !== 32 || !r.done()) throw new Error('bad ssh-ed25519 key');
    return {
      type,
      key: createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
        format: 'jwk',
      }),
    };
  }
  if (type === 'ecdsa-sha2-nistp256') {
    const curve = r.text();
    const q = r.string();
    if (curve !== 'nistp256' || q.length !== 65 || q[0] !== 4 || !r.done())
      throw new Error('bad ecdsa-sha2-nistp256 key');
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: q.subarray(1, 33).toString('base64url'),
      y: q.subarray(33).toString('base64url'),
    };
    return { type, key: createPublicKey({ key: jwk, format: 'jwk' }) };
  }
  throw new Error(`key type ${type} is not supported`);
}

/** An ECDSA `mpint r, mpint s` signature as IEEE P1363 (r‖s, 32 bytes each). */
function p1363(sshSig: Buffer): Buffer {
  const r = new Reader(sshSig);
  const fixed = (m: Buffer) => {
    const s = m.subarray(m.findIndex((b) => b !== 0) === -1 ? m.length : m.findIndex((b) => b !== 0));
    if (s.length > 32) throw new Error('bad ECDSA signature');
    return Buffer.concat([Buffer.alloc(32 - s.length), s]);
  };
  const out = Buffer.concat([fixed(r.string()), fixed(r.string())]);
  if (!r.done()) throw new Error('bad ECDSA signature');
  return out;
}

export type SignatureCheck =
  { valid: true; fingerprint: string; keyType: string; key: string } | { valid: false; reason: string };

/**
 * Checks an armored SSHSIG signature over `message` in `namespace` by one of `keys` (allowed signers
 * already selected for the principal). Answers why not instead of throwing.
 */
export function verifySshSignature(
  message: string | Buffer,
  armored: string,
  keys: readonly AllowedSigner[],
  namespace: string,
): SignatureCheck {
  let sig: SshSignature;
  try {
    sig = parseSshSignature(armored);
  } catch (e) {
    return { valid: false, reason: (e as Error).message };
  }
  const fingerprint = sshFingerprint(sig.publicKey);
  if (sig.namespace !== namespace)
    return {
      valid: false,
      reason: `the signature is for namespace "${sig.namespace}", not "${namespace}"; sign with \`ssh-keygen -Y sign -n ${namespace}\``,
    };
  const signer = keys.find((k) => Buffer.from(k.publicKey, 'base64').equals(sig.publicKey));
  if (!signer)
    return {
      valid: false,
      reason: `the signing key ${fingerprint} is not an allowed signer for this approver${keys.length ? ` (allowed: ${keys.map((k) => sshFingerprint(Buffer.from(k.publicKey, 'base64'))).join(', ')})` : ' (no key is listed for this approver)'}`,
    };
  if (sig.hashAlgorithm !== 'sha512' && sig.hashAlgorithm !== 'sha256')
    return {
      valid: false,
      reason: `hash algorithm "${sig.hashAlgorithm}" is not supported (sha512, sha256)`,
    };
  try {
    const { type, key } = keyObject(sig.publicKey);
    if (sig.signatureAlgorithm !== type)
      return {
        valid: false,
        reason: `signature algorithm ${sig.signatureAlgorithm} does not match the ${type} key`,
      };
    const signed = Buffer.concat([
      MAGIC,
      sshString(namespace),
      sshString(sig.reserved),
      sshString(sig.hashAlgorithm),
      sshString(createHash(sig.hashAlgorithm).update(message).digest()),
    ]);
    const ok =
      type === 'ssh-ed25519'
        ? cryptoVerify(null, signed, key, sig.signature)
        : cryptoVerify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, p1363(sig.signature));
    return ok
      ? { valid: true, fingerprint, keyType: type, key: signer.key }
      : {
          valid: false,
          reason: `the signature by ${fingerprint} does not match the statement (it was changed after signing, or signed for another one)`,
        };
  } catch (e) {
    return { valid: false, reason: `the signature cannot be checked: ${(e as Error).message}` };
  }
}

export type ApprovalSignatureCheck =
  | (Extract<SignatureCheck, { valid: true }> & { statement: ApprovalStatement })
  | { valid: false; reason: string };

/**
 * Checks a signed approval: `statementText` is the canonical statement exactly as signed (and kept in the
 * promotion record), `armoredSignature` the `ssh-keygen -Y sign` output, `allowedSigners` the pipeline's
 * allowed_signers (text or parsed lines). Valid when the statement is canonical and the signature is by a
 * key allowed for the statement's approver, in the approval namespace. Does not check that the statement
 * belongs to a gate (compare its fields with `statementMismatch`).
 */
export function verifyApprovalSignature(
  statementText: string,
  armoredSignature: string,
  allowedSigners: string | readonly AllowedSigner[],
  namespace = APPROVAL_NAMESPACE,
): ApprovalSignatureCheck {
  const parsed = parseApprovalStatement(statementText);
  if (!parsed.ok) return { valid: false, reason: parsed.problem };
  const signers =
    typeof allowedSigners === 'string' ? parseAllowedSigners(allowedSigners).signers : allowedSigners;
  const r = verifySshSignature(
    statementText,
    armoredSignature,
    keysOf(signers, parsed.statement.approver, namespace),
    namespace,
  );
  return r.valid ? { ...r, statement: parsed.statement } : r;
}
