/**
 * zod schemas for the Harbor responses the client reads. Harbor's models are omitempty (harbor-api.md §0):
 * nearly every field is optional, and unknown keys pass through (`looseObject`) so a newer Harbor that adds
 * fields does not break us.
 */
import { z } from 'zod';

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
      summary: z.record(z.string(), z.number()).optional(),
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
  tags: z.array(TagSchema).optional(),
  references: z.array(z.looseObject({ child_digest: z.string().optional() })).optional(),
  accessories: z.array(AccessorySchema).optional(),
  /** Keyed by report mime type; one key in practice (harbor-api.md §5). */
  scan_overview: z.record(z.string(), NativeReportSummarySchema).optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const CveAllowlistSchema = z.looseObject({
  id: z.number().optional(),
  project_id: z.number().optional(),
  /** Epoch seconds; null/absent = never expires. */
  expires_at: z.number().nullable().optional(),
  items: z
    .array(z.looseObject({ cve_id: z.string().optional() }))
    .nullable()
    .optional(),
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
    vulnerabilities: z
      .array(z.looseObject({ id: z.string(), severity: z.string().optional() }))
      .nullable()
      .optional(),
  }),
);
