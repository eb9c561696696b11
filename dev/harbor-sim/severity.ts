// Severities: Trivy's title case, Harbor's ranks, and the CVSSv3-style parsing of the `severity` metadata.

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;
export type Severity = (typeof SEVERITIES)[number] | 'None';

const RANK: Record<string, number> = {
  None: 0,
  Unknown: 0,
  Negligible: 1,
  Low: 2,
  Medium: 3,
  High: 4,
  Critical: 5,
};

/** Rank of a title-case severity; an unrecognised one gets 99. */
export function rank(sev: string): number {
  return RANK[sev] ?? 99;
}

export function titleCase(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s;
}

/** The `severity` project metadata read as Harbor does (vuln.ParseSeverityVersion3): title case, or Unknown. */
export function parseThreshold(v: string | undefined): string {
  const l = (v ?? '').toLowerCase();
  if (l === 'negligible' || l === 'none') return 'None';
  if (l === 'low' || l === 'medium' || l === 'high' || l === 'critical') return titleCase(l);
  return 'Unknown';
}

/**
 * The overall severity of a report as Harbor computes it (vuln.GetSeveritySummary): start at None and take a
 * finding's severity only when it ranks strictly higher, so Unknown-only findings still read `None`.
 */
export function highest(sevs: string[]): Severity {
  let best: string = 'None';
  for (const s of sevs) if (rank(s) > rank(best)) best = s;
  return best as Severity;
}

/**
 * A finding's severity as Harbor v2.15.2 stores it: its report converter runs every scanner severity through
 * vuln.ParseSeverityVersion3 (pkg/scan/postprocessors), so a scanner's `Negligible` is kept, counted and shown
 * as `None`, and anything unrecognised as `Unknown`.
 */
export function storedSeverity(sev: string): Severity {
  return parseThreshold(sev) as Severity;
}
