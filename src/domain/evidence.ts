/**
 * Required evidence per environment (tracker issue 11, item 5): `requires: [sbom, provenance, signature]` on
 * a destination environment means the artifact in the previous environment's project must carry those
 * pieces of evidence, signed by the promoter's cosign key, before anything is copied into it. Pure: the
 * activity (checkEvidence in src/activities/attest.ts) reads and verifies what the registry holds; this file
 * names the kinds, the predicate types that count for each, and decides what is missing.
 */
import { z } from 'zod';
import { EVIDENCE_KINDS } from './evidence-rules.js';

export * from './evidence-rules.js';

/** `requires` in the pipeline: a list of distinct kinds. */
export const RequiresList = z
  .array(
    z.enum(EVIDENCE_KINDS, {
      error: (i) =>
        `${JSON.stringify(i.input)} is not a kind of evidence; allowed values: ${EVIDENCE_KINDS.join(', ')}`,
    }),
    { error: `must be a list of evidence kinds, e.g. [${EVIDENCE_KINDS.join(', ')}]` },
  )
  .refine((l) => new Set(l).size === l.length, {
    error: 'lists a kind of evidence twice; name each of sbom, provenance, signature at most once',
  });
