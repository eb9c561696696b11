/**
 * Required evidence without zod (everything of evidence.ts but the pipeline's `requires` schema): the
 * workflow bundle imports this file (see pipeline-rules.ts for why); evidence.ts re-exports it.
 */

/** The kinds of evidence an environment can require. */
export const EVIDENCE_KINDS = ['sbom', 'provenance', 'signature'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/**
 * The in-toto predicate types that count as each attested kind (`cosign attest --type spdxjson` writes
 * SPDX's, `--type cyclonedx` CycloneDX's, `--type slsaprovenance1`/`slsaprovenance02` SLSA's). Any one
 * of them, valid with the promoter's key, satisfies the requirement. `signature` is the cosign `.sig`.
 */
export const EVIDENCE_PREDICATE_TYPES: Readonly<
  Record<Exclude<EvidenceKind, 'signature'>, readonly string[]>
> = {
  sbom: ['https://spdx.dev/Document', 'https://cyclonedx.org/bom'],
  provenance: ['https://slsa.dev/provenance/v1', 'https://slsa.dev/provenance/v0.2'],
};

/** What the activity found for one kind: present and valid, absent, or present but not valid. */
export interface EvidenceFinding {
  kind: EvidenceKind;
  state: 'valid' | 'none' | 'invalid';
  /** For `valid` attestations: the predicate type that satisfied it. */
  predicateType?: string;
  /** Why it is not valid (each envelope's or layer's reason), for the message. */
  reasons?: string[];
}

export interface EvidenceDecision {
  /** The required kinds with no valid evidence, in the order the pipeline lists them. */
  missing: EvidenceKind[];
  /** One line for status and the failure: what is missing (or invalid) and where; or what was found. */
  message: string;
}

/**
 * Compare what `env` requires with what was found at `where` (`project/repository@digest` of the previous
 * environment). A required kind without a finding is missing (the check was never made, so it cannot
 * count); an invalid one is missing too, with its reasons.
 */
export function decideEvidence(
  required: readonly EvidenceKind[],
  found: readonly EvidenceFinding[],
  where: string,
  env: string,
): EvidenceDecision {
  const byKind = new Map(found.map((f) => [f.kind, f]));
  const missing = required.filter((k) => byKind.get(k)?.state !== 'valid');
  if (missing.length === 0)
    return {
      missing,
      message: `${where} carries ${required.map((k) => describeFound(byKind.get(k)!)).join(', ')}`,
    };
  const parts = missing.map((k) => describeMissing(k, byKind.get(k)));
  return {
    missing,
    message: `${env} requires ${required.join(', ')}; ${where} is missing ${parts.join('; ')}. Attach it signed with the promoter's cosign key (docs/attestations.md, "Required evidence") and start the promotion again`,
  };
}

function describeFound(f: EvidenceFinding): string {
  return f.kind === 'signature' ? 'a valid signature' : `${f.kind} (${f.predicateType ?? 'attested'})`;
}

function describeMissing(kind: EvidenceKind, f: EvidenceFinding | undefined): string {
  const what =
    kind === 'signature'
      ? 'cosign signature'
      : `cosign attestation of type ${EVIDENCE_PREDICATE_TYPES[kind].join(' or ')}`;
  if (!f || f.state === 'none') return `${kind} (no ${what})`;
  return `${kind} (a ${what} is there but does not verify with the promoter's public key: ${(f.reasons ?? []).join('; ') || 'no reason given'})`;
}
