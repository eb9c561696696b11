// Pull blocking on /v2 manifest GET/HEAD (harbor-api.md §6): cosign first, then vulnerability policy.
import type { AllowlistRec, ReportRec } from './store';
import { parseThreshold, rank } from './severity';

export interface PullContext {
  metadata: Record<string, string>;
  /** the requested artifact is itself a signature accessory */
  isSignature: boolean;
  /** accessory types attached to the artifact */
  accessoryTypes: string[];
  /** bypass (b)/(c): scanner-pull token, or a push-capable token with a cosign/notation User-Agent */
  signerBypass: boolean;
  scannable: boolean;
  isIndex: boolean;
  report: ReportRec | undefined;
  projectAllowlist: AllowlistRec;
  systemAllowlist: AllowlistRec;
  nowSec: number;
}

const POLICY = (t: string): string =>
  `configured policy in 'Prevent images with vulnerability severity of "${t}" or higher from running.'`;

export function effectiveAllowlist(
  c: Pick<PullContext, 'metadata' | 'projectAllowlist' | 'systemAllowlist' | 'nowSec'>,
): Set<string> {
  const reuse = c.metadata.reuse_sys_cve_allowlist;
  const list = reuse === undefined || reuse === 'true' ? c.systemAllowlist : c.projectAllowlist;
  if (list.expiresAt !== null && list.expiresAt <= c.nowSec) return new Set();
  return new Set(list.items);
}

/** null when the pull is allowed, else the PROJECTPOLICYVIOLATION message. */
export function pullViolation(c: PullContext): string | null {
  const m = c.metadata;
  const bypass = c.isSignature || c.signerBypass;
  if (m.enable_content_trust_cosign === 'true' && !bypass && !c.accessoryTypes.includes('signature.cosign'))
    return 'The image is not signed by cosign.';
  if (m.enable_content_trust === 'true' && !bypass && !c.accessoryTypes.includes('signature.notation'))
    return 'The image is not signed by notation.';
  if (m.prevent_vul !== 'true') return null;
  // Harbor's vulnerable middleware calls the same SkipPolicyChecking as content trust (v2.15.2
  // src/server/middleware/vulnerable/vulnerable.go): a signer or a signature is not refused either.
  if (bypass) return null;
  const t = parseThreshold(m.severity);
  if (!c.report) {
    if (!c.scannable) return null;
    return `current image without vulnerability scanning cannot be pulled due to ${POLICY(t)} To continue with pull, please contact your project administrator for help.`;
  }
  if (c.isIndex) return null;
  if (c.report.status !== 'Success') {
    return `current image with "${c.report.status}" status of vulnerability scanning cannot be pulled due to ${POLICY(t)} To continue with pull, please contact your project administrator for help.`;
  }
  const allow = effectiveAllowlist(c);
  const remaining = c.report.vulnerabilities.filter((v) => !allow.has(v.id));
  if (remaining.length === 0) return null;
  const worst = Math.max(...remaining.map((v) => rank(v.severity)));
  if (worst < rank(t)) return null;
  const n = remaining.length;
  return `current image with ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} cannot be pulled due to ${POLICY(t)} To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`;
}
