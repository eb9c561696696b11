/**
 * In-process check of cosign's legacy `.sig` signatures (toolchain.md §A3/§A4), so the worker verifies with
 * `node:crypto` instead of starting a cosign process per check. Pure: the caller fetches the `.sig` manifest
 * and the payload blobs. What it checks is what `cosign verify --key K --insecure-ignore-tlog` checks on the
 * legacy path: some layer's payload bytes (whose sha256 is the layer digest) carry a signature, in the
 * `dev.cosignproject.cosign/signature` annotation, that verifies with the key over SHA-256, and that
 * payload's `critical.image.docker-manifest-digest` is the image's digest. It also requires
 * `critical.type` to be `cosign container image signature` (cosign's SimpleClaimVerifier does not look at
 * it; a payload of any other type is not a signature this promoter made). The same for cosign's legacy
 * `.att` attestations (DSSE envelopes of in-toto statements), as `cosign verify-attestation` checks them.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export type SignatureVerdict = { state: 'valid' | 'none' | 'invalid'; reasons: string[] };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `sha256:<hex>` → the tag cosign stores signatures under, `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`digest '${digest}' is not sha256:<64 hex digits>`);
  return `${digest.replace(':', '-')}.sig`;
}

/** The promoter's public key; a clear error names the setting when the PEM is not one. */
export function parsePublicKey(pem: string, source = 'COSIGN_PUBLIC_KEY'): KeyObject {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw new Error(
      `${source}: not a PEM public key (expected a '-----BEGIN PUBLIC KEY-----' block, as written by 'cosign generate-key-pair' to <prefix>.pub)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(
      `${source}: the PEM public key does not parse (${(err as Error).message}); use the .pub file written by 'cosign generate-key-pair'`,
    );
  }
  if (!['ec', 'rsa', 'ed25519'].includes(key.asymmetricKeyType ?? '')) {
    throw new Error(`${source}: unsupported key type '${key.asymmetricKeyType}' (cosign keys are ECDSA)`);
  }
  return key;
}

const layerSchema = z.object({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number().optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});
export const signatureManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  layers: z.array(layerSchema),
});
export type SignatureManifest = z.infer<typeof signatureManifestSchema>;
export type SignatureLayer = z.infer<typeof layerSchema>;

/** Parse the `.sig` manifest's JSON; throws naming what is wrong. */
export function parseSignatureManifest(text: string): SignatureManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`signature manifest is not JSON: ${(err as Error).message}`);
  }
  const r = signatureManifestSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`signature manifest: field '${i.path.join('.') || '(root)'}': ${i.message}`);
  }
  return r.data;
}

/** The simple-signing layers worth fetching: cosign reads only those. */
export function signatureLayers(m: SignatureManifest): SignatureLayer[] {
  return m.layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
}

/** Strict standard base64 (Go's StdEncoding, as cosign decodes it); Buffer.from alone accepts anything. */
function decodeBase64(s: string): Buffer {
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) {
    throw new Error(`annotation '${SIGNATURE_ANNOTATION}' is not standard base64`);
  }
  return Buffer.from(s, 'base64');
}

const payloadSchema = z.object({
  critical: z.object({
    type: z.string(),
    image: z.object({ 'docker-manifest-digest': z.string() }),
    identity: z.object({ 'docker-reference': z.string() }).partial().optional(),
  }),
});

/** Why one layer does not prove `digest` signed by `key`, or undefined when it does. */
export function checkLayer(
  layer: SignatureLayer,
  payload: Buffer,
  key: KeyObject,
  digest: string,
): string | undefined {
  const actual = 'sha256:' + createHash('sha256').update(payload).digest('hex');
  if (actual !== layer.digest) return `payload ${layer.digest}: the blob's sha256 is ${actual}`;
  const b64 = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (b64 === undefined) return `layer ${layer.digest}: no '${SIGNATURE_ANNOTATION}' annotation`;
  if (typeof b64 !== 'string')
    return `layer ${layer.digest}: annotation '${SIGNATURE_ANNOTATION}' is not a string`;
  let sig: Buffer;
  try {
    sig = decodeBase64(b64);
  } catch (err) {
    return `layer ${layer.digest}: ${(err as Error).message}`;
  }
  let ok: boolean;
  try {
    ok = verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, sig);
  } catch {
    ok = false; // malformed DER: the same verdict cosign gives (invalid signature)
  }
  if (!ok)
    return `layer ${layer.digest}: signature does not verify with the public key (wrong key or tampered payload)`;
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return `layer ${layer.digest}: the signed payload is not JSON`;
  }
  const p = payloadSchema.safeParse(json);
  if (!p.success) {
    const i = p.error.issues[0]!;
    return `layer ${layer.digest}: payload field '${i.path.join('.')}': ${i.message}`;
  }
  const claimed = p.data.critical.image['docker-manifest-digest'];
  if (claimed !== digest) return `layer ${layer.digest}: payload is for ${claimed}, not ${digest}`;
  if (p.data.critical.type !== COSIGN_SIGNATURE_TYPE)
    return `layer ${layer.digest}: payload critical.type is '${p.data.critical.type}', not '${COSIGN_SIGNATURE_TYPE}'`;
  return undefined;
}

/**
 * The verdict for `digest`: `none` when there is no `.sig` manifest or it has no simple-signing layer
 * (cosign: exit 10), `valid` when any layer checks out, else `invalid` with each layer's reason (exit 12).
 */
export function verifySignatureManifest(
  manifest: SignatureManifest | undefined,
  payloads: ReadonlyMap<string, Buffer>,
  key: KeyObject,
  digest: string,
): SignatureVerdict {
  const layers = manifest ? signatureLayers(manifest) : [];
  if (layers.length === 0) return { state: 'none', reasons: ['no cosign signature found'] };
  const reasons: string[] = [];
  for (const layer of layers) {
    const payload = payloads.get(layer.digest);
    const why = payload ? checkLayer(layer, payload, key, digest) : `payload ${layer.digest} was not fetched`;
    if (why === undefined) return { state: 'valid', reasons: [] };
    reasons.push(why);
  }
  return { state: 'invalid', reasons };
}

// ---- attestations: cosign's legacy `.att` (a DSSE envelope per layer, docs/attestations-on-harbor.md) ----

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const ATT_PREDICATE_ANNOTATION = 'predicateType';

export type AttestationVerdict =
  | { state: 'valid'; statement: InTotoStatement; layer: string }
  | { state: 'none' | 'invalid'; reasons: string[] };

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: z.string() })).min(1),
});
const statementSchema = z.looseObject({
  _type: z.string(),
  subject: z.array(z.looseObject({ name: z.string().optional(), digest: z.record(z.string(), z.string()) })),
  predicateType: z.string(),
  predicate: z.unknown(),
});
export type InTotoStatement = z.infer<typeof statementSchema>;

/** `sha256:<hex>` → `sha256-<hex>.att`, the tag of cosign's legacy attestations. */
export function attestationTag(digest: string): string {
  return signatureTag(digest).replace(/\.sig$/, '.att');
}

/** DSSE v1 pre-authentication encoding: what the envelope's signatures sign (not the payload itself). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** The DSSE layers of an `.att` manifest, optionally only those annotated with `predicateType`. */
export function attestationLayers(m: SignatureManifest, predicateType?: string): SignatureLayer[] {
  return m.layers.filter(
    (l) =>
      l.mediaType === DSSE_ENVELOPE_MEDIA_TYPE &&
      (predicateType === undefined ||
        l.annotations?.[ATT_PREDICATE_ANNOTATION] === undefined ||
        l.annotations[ATT_PREDICATE_ANNOTATION] === predicateType),
  );
}

/**
 * Why one DSSE layer does not prove a `predicateType` statement about `digest` signed by `key`, or the
 * statement when it does. What `cosign verify-attestation --key K --insecure-ignore-tlog --type T` checks on
 * the legacy path: an envelope signature over PAE(payloadType, payload) verifies with the key (ECDSA over
 * SHA-256), the payload is an in-toto statement whose subject carries the image's sha256, of that type.
 */
export function checkEnvelope(
  layer: SignatureLayer,
  blob: Buffer,
  key: KeyObject,
  digest: string,
  predicateType: string,
): { statement: InTotoStatement } | { why: string } {
  const at = `envelope ${layer.digest}`;
  const actual = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  if (actual !== layer.digest) return { why: `${at}: the blob's sha256 is ${actual}` };
  let env: z.infer<typeof envelopeSchema>;
  try {
    env = envelopeSchema.parse(JSON.parse(blob.toString('utf8')));
  } catch {
    return { why: `${at}: not a DSSE envelope (payloadType, payload, signatures)` };
  }
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return { why: `${at}: payloadType is '${env.payloadType}', not '${IN_TOTO_PAYLOAD_TYPE}'` };
  const payload = Buffer.from(env.payload, 'base64');
  const signed = pae(env.payloadType, payload);
  const ok = env.signatures.some((s) => {
    try {
      return verify(
        key.asymmetricKeyType === 'ed25519' ? null : 'sha256',
        signed,
        key,
        Buffer.from(s.sig, 'base64'),
      );
    } catch {
      return false;
    }
  });
  if (!ok) return { why: `${at}: no signature verifies with the public key (wrong key or tampered payload)` };
  let st: InTotoStatement;
  try {
    st = statementSchema.parse(JSON.parse(payload.toString('utf8')));
  } catch {
    return { why: `${at}: the signed payload is not an in-toto statement` };
  }
  const hex = digest.slice('sha256:'.length);
  if (!st.subject.some((s) => s.digest.sha256 === hex))
    return {
      why: `${at}: the statement is about ${st.subject.map((s) => `sha256:${s.digest.sha256 ?? '?'}`).join(', ')}, not ${digest}`,
    };
  if (st.predicateType !== predicateType)
    return { why: `${at}: predicateType is '${st.predicateType}', not '${predicateType}'` };
  return { statement: st };
}

/**
 * The verdict for one predicate type on `digest`: `none` when no `.att` manifest or no DSSE layer of that
 * type exists, `valid` with the statement of the last layer that checks out (a `--replace` keeps one), else
 * `invalid` with each layer's reason.
 */
export function verifyAttestationManifest(
  manifest: SignatureManifest | undefined,
  blobs: ReadonlyMap<string, Buffer>,
  key: KeyObject,
  digest: string,
  predicateType: string,
): AttestationVerdict {
  const layers = manifest ? attestationLayers(manifest, predicateType) : [];
  if (layers.length === 0) return { state: 'none', reasons: [`no ${predicateType} attestation found`] };
  const reasons: string[] = [];
  for (const layer of [...layers].reverse()) {
    const blob = blobs.get(layer.digest);
    const r = blob
      ? checkEnvelope(layer, blob, key, digest, predicateType)
      : { why: `envelope ${layer.digest} was not fetched` };
    if ('statement' in r) return { state: 'valid', statement: r.statement, layer: layer.digest };
    reasons.push(r.why);
  }
  return { state: 'invalid', reasons };
}
