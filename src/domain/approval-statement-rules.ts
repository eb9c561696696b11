/**
 * Signed approvals without zod: everything of approval-statement.ts but reading a statement text against
 * its schema (parseApprovalStatement). The workflow bundle imports this file (see pipeline-rules.ts for
 * why); approval-statement.ts re-exports it.
 */
import type { ApprovalStatement } from './approval-statement.js';

/** The SSHSIG namespace of approval signatures (`ssh-keygen -Y sign -n …`): another tool's signature never counts. */
export const APPROVAL_NAMESPACE = 'harbor-promote-approval@v1';
/** `type` of every statement of this version. */
export const APPROVAL_STATEMENT_TYPE = 'https://harbor-promote.dev/approval-statement/v1';

/** A statement as the CLI builds it; `type` is always the current one. */
export function approvalStatement(fields: Omit<ApprovalStatement, 'type'>): ApprovalStatement {
  return { type: APPROVAL_STATEMENT_TYPE, ...fields };
}

/** The canonical text (see the header): the exact bytes (UTF-8) that are signed. */
export function canonicalApprovalStatement(s: ApprovalStatement): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(s).sort()) sorted[k] = (s as Record<string, string>)[k]!;
  return JSON.stringify(sorted);
}

/**
 * Why a (parsed) statement does not belong to this gate, or undefined when every field matches.
 * The message names the field, what the statement says and what the gate expects.
 */
export function statementMismatch(
  s: ApprovalStatement,
  expected: Omit<ApprovalStatement, 'type' | 'time'>,
): string | undefined {
  const fields: (keyof typeof expected)[] = [
    'promotionId',
    'environment',
    'digest',
    'approver',
    'decision',
    'comment',
  ];
  for (const f of fields)
    if (s[f] !== expected[f])
      return `the signed statement is for ${f} "${s[f]}", not "${expected[f]}"; sign a statement for this gate`;
  if (s.nonce !== expected.nonce)
    return `the signed statement's nonce ${s.nonce} is not the gate's current nonce ${expected.nonce} (a nonce counts once: read it again with \`status\` and sign again)`;
  return undefined;
}

// ---- allowed signers (ssh-keygen(1), "ALLOWED SIGNERS") ----------------------------------------------

/** The key types accepted for approval signatures. */
export const SIGNER_KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256'] as const;
export type SignerKeyType = (typeof SIGNER_KEY_TYPES)[number];

export interface AllowedSigner {
  /** The names this key may sign as (exact names; patterns are not supported). */
  principals: string[];
  keyType: SignerKeyType;
  /** The public key blob, base64 as in the line. */
  publicKey: string;
  /** `namespaces="…"`: when present, the key signs only for these namespaces. */
  namespaces?: string[];
  /** `<keyType> <base64>`, the key as an `authorized_keys`/allowed_signers line names it. */
  key: string;
}

/** Splits on spaces outside double quotes (the options field may quote values). */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Pure base64 decoding (the workflow sandbox has neither Buffer nor node:crypto). */
export function base64Bytes(b64: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = b64.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const ch of clean) {
    acc = (acc << 6) | A.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The key type named inside an SSH public key blob (its first SSH string), if readable. */
function blobKeyType(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const len = ((blob[0]! << 24) | (blob[1]! << 16) | (blob[2]! << 8) | blob[3]!) >>> 0;
  if (len > 64 || 4 + len > blob.length) return undefined;
  return String.fromCharCode(...blob.slice(4, 4 + len));
}

const PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/** Why one allowed_signers line cannot be used, or the signer it names. */
export function parseAllowedSignerLine(line: string): AllowedSigner | { problem: string } {
  const f = fields(line.trim());
  if (f.length < 3)
    return {
      problem:
        'expected "<principals> [options] <key type> <base64 key> [comment]", e.g. "alice ssh-ed25519 AAAAC3Nza…"',
    };
  const principals = f[0]!.split(',');
  for (const p of principals)
    if (!PRINCIPAL.test(p))
      return {
        problem: `principal "${p}" must be an approver name (letters, digits, ".", "_", "@", "+", "-"; patterns such as "*" are not supported)`,
      };
  let i = 1;
  let namespaces: string[] | undefined;
  // An options field is present when the second field is not a key type (ssh-keygen's rule).
  if (!f[1]!.startsWith('ssh-') && !f[1]!.startsWith('ecdsa-') && !f[1]!.startsWith('sk-')) {
    for (const opt of f[1]!.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
      const m = /^namespaces="([^"]*)"$/i.exec(opt);
      if (m) namespaces = m[1]!.split(',');
      else
        return {
          problem: `option "${opt}" is not supported (only namespaces="…"); remove it`,
        };
    }
    i = 2;
  }
  const keyType = f[i];
  const b64 = f[i + 1];
  if (!keyType || !b64) return { problem: 'the key is missing after the principals and options' };
  if (!(SIGNER_KEY_TYPES as readonly string[]).includes(keyType))
    return {
      problem: `key type "${keyType}" is not supported; use ${SIGNER_KEY_TYPES.join(' or ')} (ssh-keygen -t ed25519)`,
    };
  const blob = base64Bytes(b64);
  if (!blob) return { problem: 'the key is not valid base64; copy the whole line of the .pub file' };
  if (blobKeyType(blob) !== keyType)
    return { problem: `the key data is not a ${keyType} key; copy the whole line of the .pub file` };
  return {
    principals,
    keyType: keyType as SignerKeyType,
    publicKey: bytesBase64(blob), // canonical padding, so keys compare as strings
    ...(namespaces && { namespaces }),
    key: `${keyType} ${bytesBase64(blob)}`,
  };
}

/** Every line of an allowed_signers text (comments and blank lines skipped), with `line N: …` problems. */
export function parseAllowedSigners(text: string): { signers: AllowedSigner[]; problems: string[] } {
  const signers: AllowedSigner[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const r = parseAllowedSignerLine(line);
    if ('problem' in r) problems.push(`line ${n + 1}: ${r.problem}`);
    else signers.push(r);
  });
  return { signers, problems };
}

/** The keys that may sign as `principal` in `namespace`. */
export function keysOf(
  signers: readonly AllowedSigner[],
  principal: string,
  namespace = APPROVAL_NAMESPACE,
): AllowedSigner[] {
  return signers.filter(
    (s) => s.principals.includes(principal) && (!s.namespaces || s.namespaces.includes(namespace)),
  );
}

/**
 * The signing key and namespace inside an armored SSHSIG signature, read without crypto (the workflow's
 * update validator uses it to refuse a wrong key or namespace before the worker checks the signature).
 */
export function sshSignatureSigner(
  armored: string,
): { publicKey: string; namespace: string } | { problem: string } {
  const m = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(armored);
  const blob = m ? base64Bytes(m[1]!.replace(/\s+/g, '')) : undefined;
  if (!blob)
    return {
      problem:
        'the signature is not an armored SSH signature (-----BEGIN SSH SIGNATURE----- …, as `ssh-keygen -Y sign` writes it)',
    };
  let off = 10; // "SSHSIG" + uint32 version
  const next = (): Uint8Array | undefined => {
    if (off + 4 > blob.length) return undefined;
    const len = ((blob[off]! << 24) | (blob[off + 1]! << 16) | (blob[off + 2]! << 8) | blob[off + 3]!) >>> 0;
    if (off + 4 + len > blob.length) return undefined;
    const out = blob.slice(off + 4, off + 4 + len);
    off += 4 + len;
    return out;
  };
  const magic = String.fromCharCode(...blob.slice(0, 6));
  const key = next();
  const ns = next();
  if (magic !== 'SSHSIG' || !key || !ns) return { problem: 'the SSH signature is malformed' };
  return { publicKey: bytesBase64(key), namespace: String.fromCharCode(...ns) };
}

function bytesBase64(b: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += A[(n >> 18) & 63]! + A[(n >> 12) & 63]!;
    out += i + 1 < b.length ? A[(n >> 6) & 63]! : '=';
    out += i + 2 < b.length ? A[n & 63]! : '=';
  }
  return out;
}
