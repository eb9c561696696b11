// Pull-blocking rules of harbor-api.md §6, as a pure function.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pullViolation, type PullContext } from '../../../dev/harbor-sim/policy';
import type { ReportRec, VulnRec } from '../../../dev/harbor-sim/store';

const list = (items: string[] = [], expiresAt: number | null = null) => ({
  id: 1,
  projectId: 0,
  expiresAt,
  items,
  creationTime: '',
  updateTime: '',
});
const v = (id: string, severity: string): VulnRec => ({
  id,
  package: 'p',
  version: '1',
  fix_version: '',
  severity,
  description: '',
  links: [],
  score: 0,
});
const report = (status: ReportRec['status'], vulns: VulnRec[] = []): ReportRec => ({
  digest: 'sha256:x',
  reportId: 'r',
  status,
  startTime: null,
  endTime: null,
  createdAt: '',
  vulnerabilities: vulns,
  log: [],
  repository: 'p/r',
});
const ctx = (o: Partial<PullContext>): PullContext => ({
  metadata: { prevent_vul: 'true', severity: 'high' },
  isSignature: false,
  accessoryTypes: [],
  signerBypass: false,
  scannable: true,
  isIndex: false,
  report: report('Success'),
  projectAllowlist: list(),
  systemAllowlist: list(),
  nowSec: 1000,
  ...o,
});
const POL = `configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.'`;

test('cosign is checked first, presence only, with the signature and signer bypasses', () => {
  const m = { enable_content_trust_cosign: 'true', prevent_vul: 'true', severity: 'high' };
  assert.equal(pullViolation(ctx({ metadata: m, report: undefined })), 'The image is not signed by cosign.');
  assert.equal(pullViolation(ctx({ metadata: m, accessoryTypes: ['signature.cosign'] })), null);
  assert.equal(pullViolation(ctx({ metadata: m, isSignature: true })), null);
  assert.equal(pullViolation(ctx({ metadata: m, signerBypass: true })), null);
  assert.equal(
    pullViolation(ctx({ metadata: { enable_content_trust: 'true' } })),
    'The image is not signed by notation.',
  );
});

test('no report: blocked only when scannable; index skipped; non-Success status blocks', () => {
  assert.equal(pullViolation(ctx({ report: undefined, scannable: false })), null);
  assert.equal(
    pullViolation(ctx({ report: undefined })),
    `current image without vulnerability scanning cannot be pulled due to ${POL} To continue with pull, please contact your project administrator for help.`,
  );
  assert.equal(pullViolation(ctx({ report: report('Running'), isIndex: true })), null);
  for (const s of ['Pending', 'Running', 'Error', 'Stopped'] as const) {
    assert.equal(
      pullViolation(ctx({ report: report(s) })),
      `current image with "${s}" status of vulnerability scanning cannot be pulled due to ${POL} To continue with pull, please contact your project administrator for help.`,
    );
  }
});

test('rank >= threshold, N counts all remaining, singular for one, allowlists (system by default, expired ignored)', () => {
  const msg = (n: number, t = 'High') =>
    `current image with ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "${t}" or higher from running.' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`;
  const vulns = [v('A', 'High'), v('B', 'Low'), v('C', 'Unknown')];
  assert.equal(pullViolation(ctx({ report: report('Success', vulns) })), msg(3));
  assert.equal(pullViolation(ctx({ report: report('Success', [v('B', 'Medium')]) })), null);
  assert.equal(pullViolation(ctx({ report: report('Success', [v('A', 'Critical')]) })), msg(1));
  assert.equal(pullViolation(ctx({ report: report('Success', vulns), systemAllowlist: list(['A']) })), null);
  assert.equal(
    pullViolation(ctx({ report: report('Success', vulns), projectAllowlist: list(['A']) })),
    msg(3),
  );
  assert.equal(
    pullViolation(
      ctx({
        metadata: { prevent_vul: 'true', severity: 'high', reuse_sys_cve_allowlist: 'false' },
        report: report('Success', vulns),
        projectAllowlist: list(['A']),
      }),
    ),
    null,
  );
  assert.equal(
    pullViolation(ctx({ report: report('Success', vulns), systemAllowlist: list(['A'], 999) })),
    msg(3),
  );
  assert.equal(
    pullViolation(ctx({ report: report('Success', [v('a', 'High')]), systemAllowlist: list(['A']) })),
    msg(1),
    'matching is case-sensitive',
  );
  // severity absent or none: anything remaining blocks, Unknown included
  assert.equal(
    pullViolation(ctx({ metadata: { prevent_vul: 'true' }, report: report('Success', [v('C', 'Unknown')]) })),
    msg(1, 'Unknown'),
  );
  assert.equal(
    pullViolation(
      ctx({
        metadata: { prevent_vul: 'true', severity: 'low' },
        report: report('Success', [v('N', 'Negligible')]),
      }),
    ),
    null,
  );
  assert.equal(pullViolation(ctx({ metadata: { prevent_vul: 'false' }, report: undefined })), null);
});
