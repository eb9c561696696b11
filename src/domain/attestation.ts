/**
 * The two attestations a promotion attaches to the digest in each destination project once that
 * environment's gates have passed (tracker issue 11; docs/attestations.md): a SLSA verification summary
 * (VSA v1) and the promotion record of that environment. Pure: the activity adds the time, the signature
 * manifest's digest and the sha256 of the pipeline's canonical form (hashing is I/O-free but lives in
 * node:crypto, which this folder does not import), then hands the predicates to `cosign attest`.
 */
import { z } from 'zod';
import type { Pipeline } from './pipeline.js';
import type { EnvironmentEvidence } from './attestation-rules.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const RECORD_PREDICATE_TYPE = 'https://harbor-promote.dev/promotion-record/v1';
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Stable part of `verifier.id`; the worker's identity follows as the last path segment. */
export const VERIFIER_URI = 'https://harbor-promote.dev/verifier';
/** `policy.uri` is this plus the pipeline's name. */
export const POLICY_URI = 'https://harbor-promote.dev/pipeline';

/**
 * The pipeline's canonical form: the validated pipeline (defaults filled in, so writing a default out or
 * leaving it away is the same policy) as JSON with object keys sorted at every level, array order kept,
 * undefined members dropped and no whitespace. Its sha256 is the VSA's `policy.digest.sha256`.
 */
export function canonicalPipeline(pipeline: Pipeline): string {
  return canonicalJson(pipeline);
}

/** JSON with sorted keys and no whitespace (RFC 8785-like for the values a pipeline holds). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new Error(`canonical JSON: cannot encode a ${typeof value}`);
    return s;
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** `production` → `HARBOR_PROMOTE_ENV_PRODUCTION` (the VSA's verifiedLevels entry for the environment). */
export function verifiedLevel(environment: string): string {
  return `HARBOR_PROMOTE_ENV_${environment.toUpperCase().replace(/-/g, '_')}`;
}

export function policyUri(pipeline: Pick<Pipeline, 'name'>): string {
  return `${POLICY_URI}/${pipeline.name ?? 'unnamed'}`;
}

/** `oci://host/project/repository@sha256:…`: the image as a cluster pulls it (the pipeline's registry). */
export function resourceUri(registry: string, project: string, repository: string, digest: string): string {
  return `oci://${registry}/${project}/${repository}@${digest}`;
}

export function verifierId(identity: string): string {
  return `${VERIFIER_URI}/${encodeURIComponent(identity)}`;
}

export interface ResourceDescriptor {
  uri: string;
  digest: { sha256: string };
}

export interface VsaPredicate {
  verifier: { id: string; version: Record<string, string> };
  timeVerified: string;
  resourceUri: string;
  policy: ResourceDescriptor;
  inputAttestations: ResourceDescriptor[];
  verificationResult: 'PASSED' | 'FAILED';
  verifiedLevels: string[];
}

export interface VsaInput {
  /** Who verified: the worker's identity (its Harbor account). */
  identity: string;
  version: string;
  timeVerified: string;
  environment: string;
  resourceUri: string;
  policy: ResourceDescriptor;
  /** The signature (`.sig` manifest) and the scan report the gates used. */
  inputAttestations: ResourceDescriptor[];
}

/** SLSA VSA v1 for one environment: everything this tool checked there passed. */
export function vsaPredicate(i: VsaInput): VsaPredicate {
  return {
    verifier: { id: verifierId(i.identity), version: { 'harbor-promote': i.version } },
    timeVerified: i.timeVerified,
    resourceUri: i.resourceUri,
    policy: i.policy,
    inputAttestations: i.inputAttestations,
    verificationResult: 'PASSED',
    verifiedLevels: [verifiedLevel(i.environment)],
  };
}

// Zod-free (the workflow imports them from attestation-rules.ts directly).
export { environmentEvidence, type EnvironmentEvidence } from './attestation-rules.js';

/** The promotion-record predicate (RECORD_PREDICATE_TYPE): the evidence, the policy and when it was signed. */
export interface RecordPredicate extends EnvironmentEvidence {
  policy: ResourceDescriptor;
  attestedAt: string;
  /** Where the image is (this environment's project). */
  resourceUri: string;
}

export function recordPredicate(
  evidence: EnvironmentEvidence,
  o: { policy: ResourceDescriptor; attestedAt: string; resourceUri: string },
): RecordPredicate {
  return { ...evidence, policy: o.policy, attestedAt: o.attestedAt, resourceUri: o.resourceUri };
}

// ---- reading them back (verify, the final proof) -------------------------------------------------------

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lower case hex digits' });
const Descriptor = z.looseObject({ uri: z.string(), digest: z.looseObject({ sha256: Sha256Hex }) });

export const VsaPredicateSchema = z.looseObject({
  verifier: z.looseObject({ id: z.string(), version: z.record(z.string(), z.string()).optional() }),
  timeVerified: z.string(),
  resourceUri: z.string(),
  policy: Descriptor,
  inputAttestations: z.array(Descriptor).optional(),
  verificationResult: z.string(),
  verifiedLevels: z.array(z.string()),
});

const Decision = z.looseObject({
  approver: z.string(),
  at: z.string(),
  signature: z
    .looseObject({ statement: z.string(), signature: z.string(), fingerprint: z.string().optional() })
    .optional(),
});
export const RecordPredicateSchema = z.looseObject({
  promotionId: z.string(),
  digest: z.string(),
  environment: z.string(),
  policy: Descriptor,
  approvals: z.record(
    z.string(),
    z.looseObject({
      environment: z.string(),
      required: z.number(),
      decision: z.string(),
      approvals: z.array(Decision),
      /** The allowed_signers lines the gate trusted (signed approvals). */
      allowedSigners: z.array(z.string()).optional(),
      allowedSignersFile: z.looseObject({ path: z.string(), commit: z.string() }).optional(),
    }),
  ),
});
export type ParsedRecordPredicate = z.infer<typeof RecordPredicateSchema>;
