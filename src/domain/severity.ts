/**
 * Severity ranks exactly as Harbor's pull-blocking middleware ranks them (harbor-api.md §6), so our own
 * gate and Harbor's quarantine agree on what "at or above the threshold" means.
 */
/** Harbor's scan severities, title case as Harbor sends them. */
export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Negligible' | 'Unknown' | 'None';

/** Lower case, as pipeline files and Harbor project metadata write them. */
export const THRESHOLDS = ['none', 'negligible', 'low', 'medium', 'high', 'critical'] as const;
export type Threshold = (typeof THRESHOLDS)[number];

const RANK: Record<Severity, number> = {
  None: 0,
  Unknown: 0,
  Negligible: 1,
  Low: 2,
  Medium: 3,
  High: 4,
  Critical: 5,
};
/** Title case of each threshold, as Harbor's messages print them. */
export const THRESHOLD_TITLE: Record<Threshold, string> = {
  none: 'None',
  negligible: 'Negligible',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

export function severityRank(s: Severity | string): number {
  return s in RANK ? RANK[s as Severity] : 99; // Harbor: an unrecognised severity ranks 99 (blocks).
}

export function thresholdRank(t: Threshold): number {
  return t === 'none' ? 0 : severityRank(THRESHOLD_TITLE[t]);
}

/** Highest first, for messages. */
export const SEVERITIES_DESC: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];
