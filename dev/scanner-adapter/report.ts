// HarborVulnerabilityReport (the same body under both report mime types) built from scan-core findings.
import { SEVERITIES } from '../scan-core/apk';
import type { Finding } from '../scan-core/findings';
import { SCANNER, type ScanRequest } from './api';

const RANK: Record<string, number> = { Unknown: 0, Negligible: 1, Low: 2, Medium: 3, High: 4, Critical: 5 };

/**
 * The highest severity found. The spec's scale has no "None", so a clean report says "Unknown"; Harbor does
 * not read this field for its overview, it recomputes the severity from the items (vuln/report.go), and it
 * shows Negligible items as None (ParseSeverityVersion3).
 */
export function highestSeverity(findings: Pick<Finding, 'severity'>[]): (typeof SEVERITIES)[number] {
  let best: (typeof SEVERITIES)[number] = 'Unknown';
  for (const f of findings) {
    const s = (SEVERITIES as readonly string[]).includes(f.severity)
      ? (f.severity as (typeof SEVERITIES)[number])
      : 'Unknown';
    if ((RANK[s] ?? 0) > (RANK[best] ?? 0)) best = s;
  }
  return best;
}

export function buildReport(
  req: ScanRequest,
  findings: Finding[],
  generatedAt: Date,
): Record<string, unknown> {
  return {
    generated_at: generatedAt.toISOString(),
    artifact: {
      repository: req.artifact.repository,
      digest: req.artifact.digest,
      ...(req.artifact.tag ? { tag: req.artifact.tag } : {}),
      ...(req.artifact.mime_type ? { mime_type: req.artifact.mime_type } : {}),
    },
    scanner: SCANNER,
    severity: highestSeverity(findings),
    vulnerabilities: findings.map((f) => ({
      id: f.id,
      package: f.package,
      version: f.version,
      fix_version: f.fix_version,
      severity: f.severity,
      // Harbor's own item model has `status`; Trivy says fixed/affected the same way
      status: f.fix_version ? 'fixed' : 'affected',
      description: f.description,
      links: f.links,
      preferred_cvss: { score_v3: f.score },
      cwe_ids: [],
      // Harbor's security hub reads the CVSS v3 score from here (postprocessors/report_converters.go)
      vendor_attributes: { CVSS: { nvd: { V3Score: f.score } } },
    })),
  };
}
