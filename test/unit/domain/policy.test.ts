import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProjectPolicy, ScanSummary } from '../../../src/activities/contract.js';
import { durationMs, formatDuration } from '../../../src/domain/duration.js';
import { evaluatePull } from '../../../src/domain/quarantine.js';
import { evaluateScan } from '../../../src/domain/scan-policy.js';

const scan = (bySeverity: ScanSummary['bySeverity'], extra: Partial<ScanSummary> = {}): ScanSummary => {
  const total = Object.values(bySeverity).reduce((a, b) => a + (b ?? 0), 0);
  return {
    reportId: 'r1',
    status: 'Success',
    severity: 'None',
    startTime: '',
    endTime: '',
    total,
    fixable: 0,
    bySeverity,
    ...extra,
  };
};
const where = { environment: 'dev', project: 'platform-dev', field: 'environments[0].severityThreshold' };
const policy = (p: Partial<ProjectPolicy>): ProjectPolicy => ({
  project: 'platform-staging',
  autoScan: true,
  preventVulnerable: true,
  severity: 'high',
  cosignRequired: false,
  allowlist: [],
  ...p,
});
const TAIL_VULN =
  'due to configured policy in \'Prevent images with vulnerability severity of "High" or higher from running.\' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.';

describe('evaluateScan', () => {
  it('passes a clean scan at any threshold, even none', () =>
    assert.equal(evaluateScan(scan({}), 'none', where).passed, true));
  it('passes findings below the threshold', () =>
    assert.equal(evaluateScan(scan({ High: 3, Medium: 1 }), 'critical', where).passed, true));
  it('fails at or above the threshold and says what and how to fix', () => {
    const v = evaluateScan(scan({ Critical: 1, High: 2, Low: 4 }, { fixable: 3 }), 'high', where);
    assert.equal(v.passed, false);
    assert.deepEqual(v.blocking, { Critical: 1, High: 2 });
    assert.equal(
      v.message,
      'scan in dev (platform-dev) found 1 Critical, 2 High at or above threshold High (all findings: 1 Critical, 2 High, 4 Low (total 7, fixable 3)); fix the vulnerabilities and rebuild, or raise environments[0].severityThreshold in the pipeline',
    );
  });
  it('threshold none fails on Unknown, like Harbor', () =>
    assert.equal(evaluateScan(scan({ Unknown: 1 }), 'none', where).passed, false));
  it('a scan that did not succeed fails', () =>
    assert.match(
      evaluateScan(scan({}, { status: 'Error' }), 'critical', where).message,
      /ended with status Error/,
    ));
});

describe('evaluatePull (Harbor pull blocking)', () => {
  it('blocks an unsigned image first when cosign is required', () =>
    assert.deepEqual(
      evaluatePull(policy({ cosignRequired: true }), { signed: false, scan: scan({ High: 1 }) }),
      {
        blocked: true,
        reason: 'unsigned',
        message: 'The image is not signed by cosign.',
      },
    ));
  it('allows everything when prevent_vul is off', () =>
    assert.deepEqual(
      evaluatePull(policy({ preventVulnerable: false }), { signed: true, scan: scan({ Critical: 9 }) }),
      { blocked: false },
    ));
  it('counts all remaining vulnerabilities in the message, singular for one', () => {
    const v = evaluatePull(policy({}), { signed: true, scan: scan({ High: 2, Low: 3 }) });
    assert.deepEqual(v, {
      blocked: true,
      reason: 'vulnerable',
      message: `current image with 5 vulnerabilities cannot be pulled ${TAIL_VULN}`,
    });
    const one = evaluatePull(policy({}), { signed: true, scan: scan({ High: 1 }) });
    assert.equal(
      one.blocked && one.message,
      `current image with 1 vulnerability cannot be pulled ${TAIL_VULN}`,
    );
  });
  it('allows findings below the project threshold', () =>
    assert.deepEqual(evaluatePull(policy({}), { signed: true, scan: scan({ Medium: 4 }) }), {
      blocked: false,
    }));
  it('blocks unscanned and still-scanning images, allows unscannable ones', () => {
    const u = evaluatePull(policy({}), { signed: true });
    assert.match(
      u.blocked ? u.message : '',
      /^current image without vulnerability scanning cannot be pulled/,
    );
    const s = evaluatePull(policy({}), { signed: true, scan: scan({}, { status: 'Stopped' }) });
    assert.match(
      s.blocked ? s.message : '',
      /^current image with "Stopped" status of vulnerability scanning/,
    );
    assert.deepEqual(evaluatePull(policy({}), { signed: true, scannable: false }), { blocked: false });
  });
  it('subtracts allowlisted vulnerabilities when their severities are known', () => {
    const vulns = [
      { id: 'CVE-1', severity: 'High' as const },
      { id: 'CVE-2', severity: 'Low' as const },
    ];
    const v = evaluatePull(policy({ allowlist: ['CVE-1'] }), {
      signed: true,
      scan: scan({ High: 1, Low: 1 }),
      vulnerabilities: vulns,
    });
    assert.deepEqual(v, { blocked: false });
  });
  it('threshold none blocks any remaining finding', () =>
    assert.equal(
      evaluatePull(policy({ severity: 'none' }), { signed: true, scan: scan({ Unknown: 1 }) }).blocked,
      true,
    ));
});

describe('durations', () => {
  it('parses and formats', () => {
    assert.equal(durationMs('1h30m'), 5_400_000);
    assert.equal(durationMs('500ms'), 500);
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.throws(() => durationMs('5 minutes'), /not a duration; write e.g. 30s/);
  });
});
