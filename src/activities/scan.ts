/** Pure helpers for scan overviews and project policies (unit-tested without Harbor). */
import type { ProjectPolicy, ScanSummary, Severity } from './contract.js';
import type { Artifact, CveAllowlist, NativeReportSummary } from '../harbor/schemas.js';

export const FINAL_SCAN_STATUSES = ['Success', 'Error', 'Stopped'] as const;
const ZERO_TIME = /^0001-01-01/;
const SEVERITIES: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', 'None'];

/** The one report in `scan_overview` (keyed by mime type; accept whichever key Harbor used). */
export function pickOverview(artifact: {
  digest: string;
  scan_overview?: Artifact['scan_overview'];
}): NativeReportSummary | undefined {
  const entries = Object.entries(artifact.scan_overview ?? {});
  const preferred = entries.find(([k]) => k.startsWith('application/vnd.security.vulnerability.report'));
  return (preferred ?? entries[0])?.[1];
}

export function isFinal(o: NativeReportSummary | undefined): boolean {
  return !!o?.scan_status && (FINAL_SCAN_STATUSES as readonly string[]).includes(o.scan_status);
}

/** Started at or after `notBefore` (a zero start time means it has not started, so it is not stale either). */
export function startedSince(o: NativeReportSummary, notBefore: string | undefined): boolean {
  if (!notBefore) return true;
  if (!o.start_time || ZERO_TIME.test(o.start_time)) return false;
  return Date.parse(o.start_time) >= Date.parse(notBefore);
}

export function toSeverity(s: string | undefined): Severity {
  return SEVERITIES.find((v) => v.toLowerCase() === (s ?? '').toLowerCase()) ?? 'Unknown';
}

export function toScanSummary(o: NativeReportSummary, vulnerabilityIds?: string[]): ScanSummary {
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const [k, v] of Object.entries(o.summary?.summary ?? {})) if (v > 0) bySeverity[toSeverity(k)] = v;
  const total = o.summary?.total ?? 0;
  return {
    reportId: o.report_id ?? '',
    status: o.scan_status as ScanSummary['status'],
    severity: o.severity ? toSeverity(o.severity) : total === 0 ? 'None' : 'Unknown',
    startTime: o.start_time ?? '',
    endTime: o.end_time ?? '',
    total,
    fixable: o.summary?.fixable ?? 0,
    bySeverity,
    scanner: o.scanner?.name ? [o.scanner.name, o.scanner.version].filter(Boolean).join(' ') : undefined,
    vulnerabilityIds,
  };
}

const THRESHOLDS = ['none', 'low', 'medium', 'high', 'critical'] as const;

/**
 * Project metadata → ProjectPolicy. `severity` is stored lower case; GET may render it CVSS-style
 * (`negligible` → none, garbage → unknown), and absent/unknown acts like `none` (harbor-api.md §2).
 */
export function toProjectPolicy(
  project: string,
  metadata: Record<string, string> | undefined,
  projectAllowlist: CveAllowlist | undefined,
  systemAllowlist: CveAllowlist | undefined,
  nowMs: number,
): ProjectPolicy {
  const m = metadata ?? {};
  const bool = (k: string, absent: boolean) =>
    m[k] === undefined ? absent : ['true', '1', 't'].includes(m[k]!.toLowerCase());
  const sev = (m.severity ?? '').toLowerCase();
  const severity = (THRESHOLDS as readonly string[]).includes(sev)
    ? (sev as ProjectPolicy['severity'])
    : 'none';
  // reuse_sys_cve_allowlist absent counts as true (§2); an expired list is ignored completely.
  const list = bool('reuse_sys_cve_allowlist', true) ? systemAllowlist : projectAllowlist;
  const expired = list?.expires_at != null && list.expires_at * 1000 <= nowMs;
  const allowlist = expired
    ? []
    : (list?.items ?? []).map((i) => i.cve_id).filter((id): id is string => !!id);
  return {
    project,
    autoScan: bool('auto_scan', false),
    preventVulnerable: bool('prevent_vul', false),
    severity,
    cosignRequired: bool('enable_content_trust_cosign', false),
    allowlist,
  };
}
