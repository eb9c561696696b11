// Scan report rendering: NativeReportSummary (scan_overview) and the vulnerabilities addition.
import type { ReportRec } from './store';
import { ZERO_TIME } from './store';
import { highest } from './severity';

export const MIME_V11 = 'application/vnd.security.vulnerability.report; version=1.1';
export const MIME_NATIVE = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
export const DEFAULT_ACCEPT = `${MIME_V11}, ${MIME_NATIVE}`;
export const SCANNER = { name: 'Trivy', vendor: 'Aqua Security', version: 'v0.58.1' };
export const SCANNER_UUID = '6e6b3a58-1c7d-4b7c-9a43-0c9b1e7f0a01';

/** The scanner registration as GET /scanners and GET /projects/{p}/scanner show it (ScannerRegistration). */
export function scannerRegistrationJson(): Record<string, unknown> {
  const t = '2026-01-01T00:00:00.000Z';
  return {
    uuid: SCANNER_UUID,
    name: SCANNER.name,
    description: 'Trivy stand-in of harbor-sim',
    url: 'http://trivy-adapter:8080',
    disabled: false,
    is_default: true,
    auth: '',
    access_credential: '',
    skip_certVerify: false,
    use_internal_addr: true,
    create_time: t,
    update_time: t,
    adapter: SCANNER.name,
    vendor: SCANNER.vendor,
    version: SCANNER.version,
    health: 'healthy',
    capabilities: { support_vulnerability: true, support_sbom: false },
  };
}

const norm = (m: string): string =>
  m
    .replace(/\s*;\s*/g, '; ')
    .trim()
    .toLowerCase();

/** The first mime type of X-Accept-Vulnerabilities that the scanner produces, or null. */
export function pickMime(header: string | undefined): string | null {
  const wanted = (header && header.trim() ? header : DEFAULT_ACCEPT).split(',').map(norm);
  for (const w of wanted) {
    if (w === norm(MIME_V11)) return MIME_V11;
    if (w === norm(MIME_NATIVE)) return MIME_NATIVE;
  }
  return null;
}

export function isFinal(status: string): boolean {
  return status === 'Success' || status === 'Error' || status === 'Stopped';
}

export function severityCounts(r: ReportRec): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of r.vulnerabilities) out[v.severity] = (out[v.severity] ?? 0) + 1;
  return out;
}

/** NativeReportSummary, omitempty: Pending/Running hold only id, status and (zero) times. */
export function overview(r: ReportRec): Record<string, unknown> {
  const o: Record<string, unknown> = {
    report_id: r.reportId,
    scan_status: r.status,
    start_time: r.startTime ?? ZERO_TIME,
    end_time: r.endTime ?? ZERO_TIME,
  };
  if (r.status === 'Success') {
    const seen = new Set<string>();
    const uniq = r.vulnerabilities.filter((v) => {
      const k = `${v.id}|${v.package}|${v.version}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    o.severity = highest(uniq.map((v) => v.severity));
    const duration =
      r.startTime && r.endTime ? Math.round((Date.parse(r.endTime) - Date.parse(r.startTime)) / 1000) : 0;
    if (duration > 0) o.duration = duration;
    o.complete_percent = 100;
    o.scanner = SCANNER;
    o.summary = {
      total: uniq.length,
      fixable: uniq.filter((v) => v.fix_version).length,
      summary: severityCounts({ ...r, vulnerabilities: uniq }),
    };
  } else if (isFinal(r.status)) {
    o.scanner = SCANNER;
  }
  return o;
}

export function vulnerabilitiesBody(r: ReportRec, mime: string): Record<string, unknown> {
  if (r.status !== 'Success') return {};
  return {
    [mime]: {
      generated_at: r.endTime ?? ZERO_TIME,
      scanner: SCANNER,
      severity: highest(r.vulnerabilities.map((v) => v.severity)),
      vulnerabilities: r.vulnerabilities.map((v) => ({
        id: v.id,
        package: v.package,
        version: v.version,
        fix_version: v.fix_version,
        severity: v.severity,
        status: v.fix_version ? 'fixed' : 'affected',
        description: v.description,
        links: v.links,
        artifact_digests: [r.digest],
        preferred_cvss: { score_v3: v.score, score_v2: null, vector_v3: '', vector_v2: '' },
        cwe_ids: [],
        vendor_attributes: {},
      })),
    },
  };
}
