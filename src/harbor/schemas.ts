/**
 * zod schemas for the Harbor responses the client reads. Harbor's models are omitempty (harbor-api.md §0):
 * nearly every field is optional, and unknown keys pass through (`looseObject`) so a newer Harbor that adds
 * fields does not break us. Arrays are NOT omitempty in go-swagger: real Harbor v2.15.2 sends `"tags": null`,
 * `"accessories": null`, `"references": null` (measured, real-harbor.md), so every array goes through
 * `harborArray`, which accepts absent, `null` or an array and always yields an array.
 */
import { z } from 'zod';

/** An array field as Harbor sends it: absent, `null` (a nil Go slice) or an array; normalised to `[]`. */
export function harborArray<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v): z.infer<T>[] => v ?? []);
}

export const TagSchema = z.looseObject({
  id: z.number().optional(),
  name: z.string(),
  push_time: z.string().optional(),
  immutable: z.boolean().optional(),
});

export const AccessorySchema = z.looseObject({
  id: z.number().optional(),
  artifact_id: z.number().optional(),
  subject_artifact_digest: z.string().optional(),
  subject_artifact_repo: z.string().optional(),
  digest: z.string(),
  type: z.string(),
  size: z.number().optional(),
  creation_time: z.string().optional(),
});
export type Accessory = z.infer<typeof AccessorySchema>;

export const NativeReportSummarySchema = z.looseObject({
  report_id: z.string().optional(),
  scan_status: z.string().optional(),
  severity: z.string().optional(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  complete_percent: z.number().optional(),
  duration: z.number().optional(),
  scanner: z
    .looseObject({
      name: z.string().optional(),
      vendor: z.string().optional(),
      version: z.string().optional(),
    })
    .optional(),
  summary: z
    .looseObject({
      total: z.number().optional(),
      fixable: z.number().optional(),
      summary: z.record(z.string(), z.number()).nullish(),
    })
    .optional(),
});
export type NativeReportSummary = z.infer<typeof NativeReportSummarySchema>;

export const ArtifactSchema = z.looseObject({
  id: z.number().optional(),
  type: z.string().optional(),
  media_type: z.string().optional(),
  manifest_media_type: z.string().optional(),
  project_id: z.number().optional(),
  repository_name: z.string().optional(),
  digest: z.string(),
  size: z.number().optional(),
  push_time: z.string().optional(),
  tags: harborArray(TagSchema),
  references: harborArray(z.looseObject({ child_digest: z.string().optional() })),
  accessories: harborArray(AccessorySchema),
  /** Keyed by report mime type; one key in practice (harbor-api.md §5). */
  scan_overview: z.record(z.string(), NativeReportSummarySchema).optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const CveAllowlistSchema = z.looseObject({
  id: z.number().optional(),
  project_id: z.number().optional(),
  /** Epoch seconds; null/absent = never expires. */
  expires_at: z.number().nullable().optional(),
  items: harborArray(z.looseObject({ cve_id: z.string().optional() })),
});
export type CveAllowlist = z.infer<typeof CveAllowlistSchema>;

export const ProjectSchema = z.looseObject({
  project_id: z.number().optional(),
  name: z.string(),
  metadata: z.record(z.string(), z.string()).optional(),
  cve_allowlist: CveAllowlistSchema.optional(),
});
export type Project = z.infer<typeof ProjectSchema>;

export const VulnerabilityReportSchema = z.record(
  z.string(),
  z.looseObject({
    severity: z.string().optional(),
    vulnerabilities: harborArray(z.looseObject({ id: z.string(), severity: z.string().optional() })),
  }),
);
