/**
 * In-process check of cosign's legacy `.sig` signatures (toolchain.md §A3/§A4), so the worker verifies with
 * `node:crypto` instead of starting a cosign process per check. Pure: the caller fetches the `.sig` manifest
 * and the payload blobs. What it checks is what `cosign verify --key K --insecure-ignore-tlog` checks on the
 * legacy path: some layer's payload bytes (whose sha256 is the layer digest) carry a signature, in the
 * `dev.cosignproject.cosign/signature` annotation, that verifies with the key over SHA-256, and that
 * payload's `critical.image.docker-manifest-digest` is the image's digest. It also requires
 * `critical.type` to be `cosign container image signature` (cosign's SimpleClaimVerifier does not look at
 * it; a payload of any other type is not a signature this promoter made).
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
