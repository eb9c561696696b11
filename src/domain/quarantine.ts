/**
 * Would Harbor block a pull of this artifact in this project? Mirrors the pull-blocking middleware
 * (harbor-api.md §6): cosign content trust first, then `prevent_vul`, with Harbor's exact messages, so
 * the workflow can say what will happen before the manifest HEAD confirms it with a 412.
 */
import type { ScanSummary } from './scan-policy.js';
import type { Severity } from './severity.js';
import { SEVERITIES_DESC, severityRank, THRESHOLD_TITLE } from './severity.js';

/** A project's pull-blocking settings, as the worker reads them from Harbor. */
export interface ProjectPolicy {
  project: string;
  autoScan: boolean;
  preventVulnerable: boolean;
  /** Lower case threshold as stored in the project metadata (`none` when absent). */
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
  cosignRequired: boolean;
  /** The effective, unexpired CVE allowlist (system or project, per `reuse_sys_cve_allowlist`). */
  allowlist: string[];
}

export type PullVerdict =
  | { blocked: false }
  | { blocked: true; reason: 'unsigned' | 'unscanned' | 'scanning' | 'vulnerable'; message: string };

export interface ArtifactFacts {
  /** The artifact has its own `signature.cosign` accessory in this project. */
  signed: boolean;
  /** The latest report for the digest (reports are shared across projects); undefined when none. */
  scan?: ScanSummary;
  /** False when no scanner is configured or the type is not scannable: then prevent_vul blocks nothing. */
  scannable?: boolean;
  /**
   * Per-vulnerability severities, when known. Without them an allowlisted id cannot be subtracted from the
   * counts, so the verdict is computed from the counts (exact whenever nothing found is allowlisted).
   */
  vulnerabilities?: { id: string; severity: Severity }[];
}

const policyText = (t: string) =>
  `due to configured policy in 'Prevent images with vulnerability severity of "${t}" or higher from running.'`;

export function evaluatePull(policy: ProjectPolicy, facts: ArtifactFacts): PullVerdict {
  if (policy.cosignRequired && !facts.signed)
    return { blocked: true, reason: 'unsigned', message: 'The image is not signed by cosign.' };
  if (!policy.preventVulnerable) return { blocked: false };
  // Harbor parses the stored threshold CVSSv3-style: absent/none/unknown rank 0, printed title case.
  const t = policy.severity === 'none' ? 'None' : THRESHOLD_TITLE[policy.severity];
  const tRank = severityRank(t);
  const scan = facts.scan;
  if (!scan) {
    if (facts.scannable === false) return { blocked: false };
    return {
      blocked: true,
      reason: 'unscanned',
      message: `current image without vulnerability scanning cannot be pulled ${policyText(t)} To continue with pull, please contact your project administrator for help.`,
    };
  }
  if (scan.status !== 'Success')
    return {
      blocked: true,
      reason: 'scanning',
      message: `current image with "${scan.status}" status of vulnerability scanning cannot be pulled ${policyText(t)} To continue with pull, please contact your project administrator for help.`,
    };
  const allow = new Set(policy.allowlist);
  let remaining: { severity: Severity }[];
  if (facts.vulnerabilities) remaining = facts.vulnerabilities.filter((v) => !allow.has(v.id));
  else {
    remaining = [];
    for (const s of SEVERITIES_DESC)
      for (let i = 0; i < (scan.bySeverity[s] ?? 0); i++) remaining.push({ severity: s });
    // Without per-id severities, drop allowlisted ids from the lowest severities (the optimistic reading):
    // the manifest HEAD is the authority; this prediction only names the message.
    const allowed = (scan.vulnerabilityIds ?? []).filter((id) => allow.has(id)).length;
    remaining = remaining.slice(0, Math.max(0, remaining.length - allowed));
  }
  if (remaining.length === 0) return { blocked: false };
  const highest = Math.max(...remaining.map((v) => severityRank(v.severity)));
  if (highest < tRank) return { blocked: false };
  const n = remaining.length;
  return {
    blocked: true,
    reason: 'vulnerable',
    message:
      `current image with ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} cannot be pulled ${policyText(t)} ` +
      'To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.',
  };
}
