/** The scan gate: counts by severity against an environment's threshold → pass or fail, with a message. */
import {
  SEVERITIES_DESC,
  THRESHOLD_TITLE,
  severityRank,
  thresholdRank,
  type Severity,
  type Threshold,
} from './severity.js';

/** A finished (or failed) Harbor scan of one artifact, as the workflow records it. */
export interface ScanSummary {
  reportId: string;
  status: 'Success' | 'Error' | 'Stopped';
  /** Highest severity found, `None` when clean. */
  severity: Severity;
  startTime: string;
  endTime: string;
  total: number;
  fixable: number;
  /** Only severities with a count, as Harbor reports them. */
  bySeverity: Partial<Record<Severity, number>>;
  scanner?: string;
  /** The vulnerability ids found (used for allowlist decisions); capped to keep history small. */
  vulnerabilityIds?: string[];
}

export interface ScanVerdict {
  passed: boolean;
  /** Counts at or above the threshold (what made it fail). */
  blocking: Partial<Record<Severity, number>>;
  message: string;
}

function describe(counts: Partial<Record<Severity, number>>): string {
  const parts = SEVERITIES_DESC.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no vulnerabilities';
}

/**
 * `threshold` is the lowest severity that fails (Harbor's ranking, so `none` fails on any finding, even
 * Unknown). `where` names the environment and project for the message; `field` is the config path to change.
 */
export function evaluateScan(
  scan: ScanSummary,
  threshold: Threshold,
  where: { environment: string; project: string; field: string },
): ScanVerdict {
  const at = `${where.environment} (${where.project})`;
  if (scan.status !== 'Success')
    return {
      passed: false,
      blocking: {},
      message: `the scan in ${at} ended with status ${scan.status}; check the scanner in Harbor (Interrogation Services) and re-run the promotion`,
    };
  const min = thresholdRank(threshold);
  const blocking: Partial<Record<Severity, number>> = {};
  for (const [sev, n] of Object.entries(scan.bySeverity) as [Severity, number][])
    if (n > 0 && severityRank(sev) >= min) blocking[sev] = n;
  const found = `${describe(scan.bySeverity)} (total ${scan.total}, fixable ${scan.fixable})`;
  const title = THRESHOLD_TITLE[threshold];
  if (Object.keys(blocking).length === 0)
    return { passed: true, blocking, message: `scan in ${at} passed threshold ${title}: ${found}` };
  return {
    passed: false,
    blocking,
    message:
      `scan in ${at} found ${describe(blocking)} at or above threshold ${title} (all findings: ${found}); ` +
      `fix the vulnerabilities and rebuild, or raise ${where.field} in the pipeline`,
  };
}
