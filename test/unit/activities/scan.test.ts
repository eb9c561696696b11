import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isFinal,
  pickOverview,
  startedSince,
  toProjectPolicy,
  toScanSummary,
} from '../../../src/activities/scan.js';
import { verdict } from '../../../src/activities/verification.js';

const K = 'application/vnd.security.vulnerability.report; version=1.1';

describe('scan helpers', () => {
  it('picks the overview under either mime key', () => {
    assert.equal(pickOverview({ digest: 'd', scan_overview: { [K]: { report_id: 'a' } } })?.report_id, 'a');
    assert.equal(pickOverview({ digest: 'd', scan_overview: { other: { report_id: 'b' } } })?.report_id, 'b');
    assert.equal(pickOverview({ digest: 'd' }), undefined);
  });

  it('final statuses and freshness', () => {
    assert.ok(isFinal({ scan_status: 'Success' }));
    assert.ok(isFinal({ scan_status: 'Stopped' }));
    assert.ok(!isFinal({ scan_status: 'Running' }));
    const o = { start_time: '2026-08-21T05:58:10.123Z' };
    assert.ok(startedSince(o, '2026-08-21T05:58:10.123Z'));
    assert.ok(!startedSince(o, '2026-08-21T05:58:11.000Z'));
    assert.ok(!startedSince({ start_time: '0001-01-01T00:00:00.000Z' }, '2026-01-01T00:00:00Z'));
    assert.ok(startedSince({}, undefined));
  });

  it('summarises like Harbor', () => {
    const s = toScanSummary({
      report_id: 'r',
      scan_status: 'Success',
      severity: 'High',
      start_time: 's',
      end_time: 'e',
      scanner: { name: 'Trivy', version: 'v0.1' },
      summary: { total: 7, fixable: 5, summary: { High: 2, Medium: 4, Unknown: 1 } },
    });
    assert.deepEqual(s.bySeverity, { High: 2, Medium: 4, Unknown: 1 });
    assert.equal(s.severity, 'High');
    assert.equal(s.total, 7);
    assert.equal(s.scanner, 'Trivy v0.1');
    assert.equal(
      toScanSummary({ scan_status: 'Success', summary: { total: 0, summary: {} } }).severity,
      'None',
    );
  });
});

describe('project policy', () => {
  const sys = { items: [{ cve_id: 'CVE-SYS' }] };
  const proj = { items: [{ cve_id: 'CVE-PROJ' }] };
  it('reads metadata strings and uses the system allowlist when reuse is absent', () => {
    const p = toProjectPolicy(
      'stg',
      { prevent_vul: 'true', severity: 'high', auto_scan: 'true', enable_content_trust_cosign: 'true' },
      proj,
      sys,
      0,
    );
    assert.deepEqual(p, {
      project: 'stg',
      autoScan: true,
      preventVulnerable: true,
      severity: 'high',
      cosignRequired: true,
      allowlist: ['CVE-SYS'],
    });
  });
  it('project allowlist when reuse is false; expired lists ignored; unknown severity = none', () => {
    const p = toProjectPolicy('stg', { reuse_sys_cve_allowlist: 'false', severity: 'unknown' }, proj, sys, 0);
    assert.deepEqual(p.allowlist, ['CVE-PROJ']);
    assert.equal(p.severity, 'none');
    assert.equal(p.preventVulnerable, false);
    const expired = toProjectPolicy(
      'stg',
      { reuse_sys_cve_allowlist: 'false' },
      { ...proj, expires_at: 10 },
      sys,
      20_000,
    );
    assert.deepEqual(expired.allowlist, []);
  });
});

describe('webhook verdicts', () => {
  it('reads passed or status', () => {
    assert.equal(verdict({ passed: true }), true);
    assert.equal(verdict({ status: 'FAILED' }), false);
    assert.equal(verdict({ status: 'running' }), undefined);
  });
});
