/**
 * Reads a digest's cosign evidence from the registry (/v2) and checks it in-process (signature.ts): the
 * `.sig` signature and the `.att` attestations. Shared by the worker's final proof and by `harbor-promote
 * verify`, which needs nothing but the registry and the public key.
 */
import type { KeyObject } from 'node:crypto';
import type { ArtifactRef } from '../domain/image-ref.js';
import type { RegistryApi } from '../harbor/registry.js';
import {
  attestationLayers,
  attestationTag,
  parseSignatureManifest,
  signatureLayers,
  signatureTag,
  verifyAttestationManifest,
  verifySignatureManifest,
  type AttestationVerdict,
  type SignatureLayer,
  type SignatureManifest,
  type SignatureVerdict,
} from './signature.js';

/** How to read: `signer` asks for a push token and names cosign (RegistryApi.getManifestAsSigner). */
export interface ReadOptions {
  signer?: boolean;
  signal?: AbortSignal;
}

async function manifestAt(
  registry: RegistryApi,
  a: ArtifactRef,
  tag: string,
  o: ReadOptions,
): Promise<SignatureManifest | undefined | 'unreadable'> {
  const m = o.signer
    ? await registry.getManifestAsSigner(a.project, a.repository, tag, o.signal)
    : await registry.getManifest(a.project, a.repository, tag, o.signal);
  if (!m) return undefined;
  try {
    return parseSignatureManifest(m.bytes.toString('utf8'));
  } catch {
    return 'unreadable';
  }
}

async function blobs(
  registry: RegistryApi,
  a: ArtifactRef,
  layers: SignatureLayer[],
  signal?: AbortSignal,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const l of layers)
    if (!out.has(l.digest))
      out.set(l.digest, await registry.getBlob(a.project, a.repository, l.digest, signal));
  return out;
}

/** The `.sig` verdict (as `cosign verify --key`), without the image-manifest probe the worker adds. */
export async function readSignature(
  registry: RegistryApi,
  a: ArtifactRef,
  key: KeyObject,
  o: ReadOptions = {},
): Promise<SignatureVerdict> {
  const signal = o.signal;
  const m = await manifestAt(registry, a, signatureTag(a.digest), o);
  if (m === 'unreadable') return { state: 'invalid', reasons: ['the .sig manifest does not parse'] };
  const payloads = m ? await blobs(registry, a, signatureLayers(m), signal) : new Map<string, Buffer>();
  return verifySignatureManifest(m, payloads, key, a.digest);
}

/** The `.att` verdict for one predicate type (as `cosign verify-attestation --key --type`). */
export async function readAttestation(
  registry: RegistryApi,
  a: ArtifactRef,
  key: KeyObject,
  predicateType: string,
  o: ReadOptions = {},
): Promise<AttestationVerdict> {
  const signal = o.signal;
  const m = await manifestAt(registry, a, attestationTag(a.digest), o);
  if (m === 'unreadable') return { state: 'invalid', reasons: ['the .att manifest does not parse'] };
  const envelopes = m ? await blobs(registry, a, attestationLayers(m, predicateType), signal) : new Map();
  return verifyAttestationManifest(m, envelopes, key, a.digest, predicateType);
}

/** How many DSSE envelopes of each predicate type the `.att` holds (idempotency checks, tests). */
export async function countAttestations(
  registry: RegistryApi,
  a: ArtifactRef,
  o: ReadOptions = {},
): Promise<Record<string, number>> {
  const m = await manifestAt(registry, a, attestationTag(a.digest), o);
  const out: Record<string, number> = {};
  if (!m || m === 'unreadable') return out;
  for (const l of attestationLayers(m)) {
    const t = String(l.annotations?.predicateType ?? '(none)');
    out[t] = (out[t] ?? 0) + 1;
  }
  return out;
}
