// The Pluggable Scanner Adapter API v1.1 surface (shared/reference/harbor-scanner-adapter-v1.1.yaml):
// mime types, the scan request as Harbor v2.15 sends it (pkg/scan/rest/v1/models.go), and metadata.
import { z } from 'zod';

export const MIME = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  reportV11: 'application/vnd.security.vulnerability.report; version=1.1',
  reportNative: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
} as const;

/** Report mime types this adapter produces, in order of preference. */
export const REPORT_MIMES = [MIME.reportV11, MIME.reportNative] as const;
export type ReportMime = (typeof REPORT_MIMES)[number];

export const CONSUMES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

export const SCANNER = { name: 'harbor-promote apk', vendor: 'harbor-promote', version: '0.1.0' };

const norm = (m: string): string =>
  m
    .replace(/\s*;\s*/g, '; ')
    .trim()
    .toLowerCase();

/**
 * The report type for an Accept header: the first listed type we produce; absent or `*\/*` means the 1.1
 * report (what Harbor asks for by default). Null when nothing acceptable is produced here.
 */
export function pickReportMime(accept: string | undefined): ReportMime | null {
  if (!accept || !accept.trim()) return MIME.reportV11;
  for (const part of accept.split(',')) {
    const m = norm(part.replace(/;\s*q=[\d.]+/i, ''));
    if (m === '*/*' || m === 'application/*') return MIME.reportV11;
    const hit = REPORT_MIMES.find((r) => norm(r) === m);
    if (hit) return hit;
  }
  return null;
}

const digest = z
  .string({ error: 'is required' })
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'must be a digest such as sha256:<64 hex>');

export const ScanRequestSchema = z.object({
  registry: z.looseObject({
    url: z
      .string({ error: 'is required' })
      .url('must be an http(s) URL of Harbor')
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must use http or https')
      .refine((u) => !new URL(u).username && !new URL(u).password, {
        message: 'must not carry credentials; send them in registry.authorization',
      }),
    authorization: z
      .string()
      .regex(/^(Basic|Bearer) \S+$/i, 'must be "Basic <base64>" or "Bearer <token>"')
      .optional()
      .or(z.literal('')),
    insecure: z.boolean().optional(),
  }),
  artifact: z.looseObject({
    repository: z
      .string({ error: 'is required' })
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/, 'must be <project>/<name>'),
    digest,
    tag: z.string().optional(),
    mime_type: z.string().optional(),
  }),
  enabled_capabilities: z
    .array(z.looseObject({ type: z.string(), produces_mime_types: z.array(z.string()).nullish() }))
    .nullish()
    .refine((c) => !c || c.length === 0 || c.some((x) => x.type === 'vulnerability'), {
      message: 'this scanner only does type "vulnerability"',
    }),
});
export type ScanRequest = z.infer<typeof ScanRequestSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; status: 400 | 422; message: string };

/** 400 for a body that is not JSON, 422 naming the first bad field (the spec's split). */
export function parseScanRequest(body: string): Validated<ScanRequest> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return { ok: false, status: 400, message: `scan request is not JSON: ${(e as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return {
      ok: false,
      status: 400,
      message: 'scan request must be a JSON object with registry and artifact',
    };
  const r = ScanRequestSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.path.join('.') || '(body)';
  const msg = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return { ok: false, status: 422, message: `${field}: ${msg}` };
}

export function metadata(advisoriesUpdatedAt: string): Record<string, unknown> {
  return {
    scanner: SCANNER,
    capabilities: [
      { type: 'vulnerability', consumes_mime_types: [...CONSUMES], produces_mime_types: [...REPORT_MIMES] },
    ],
    properties: {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      'harbor.scanner-adapter/vulnerability-database-updated-at': advisoriesUpdatedAt,
      // Harbor sends a Basic robot credential; the adapter trades it for a token itself (auth.ts)
      'harbor.scanner-adapter/registry-authorization-type': 'Basic',
    },
  };
}
