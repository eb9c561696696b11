// apk database and versions, advisories, paging/q, copy `from`, severities, report overview.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareVersions,
  loadAdvisories,
  matchAdvisories,
  parseApkInstalled,
} from '../../../dev/harbor-sim/apk';
import { parseFrom } from '../../../dev/harbor-sim/copy';
import { HarborError } from '../../../dev/harbor-sim/errors';
import { matchValues, pagingHeaders, parsePage, parseQ } from '../../../dev/harbor-sim/paging';
import { overview, pickMime, MIME_NATIVE, MIME_V11 } from '../../../dev/harbor-sim/report';
import { parseThreshold } from '../../../dev/harbor-sim/severity';
import { apkInstalled } from '../../../dev/oci-image/build';

test('apk installed database round-trips and versions order like apk', () => {
  const pkgs = [
    { name: 'openssl', version: '3.1.0-r0' },
    { name: 'busybox', version: '1.36.1-r20' },
  ];
  assert.deepEqual(parseApkInstalled(apkInstalled(pkgs)), pkgs);
  assert.ok(compareVersions('3.1.0-r0', '3.3.2-r1') < 0);
  assert.ok(compareVersions('1.36.1-r20', '1.36.1-r16') > 0);
  assert.ok(compareVersions('1.2.4-r3', '1.2.4-r3') === 0);
  assert.ok(compareVersions('1.10', '1.9') > 0);
  const found = matchAdvisories(pkgs, loadAdvisories());
  assert.deepEqual(found.map((f) => `${f.id}:${f.severity}`).sort(), [
    'CVE-2024-5535:Medium',
    'CVE-2024-9143:High',
  ]);
});

test('page/page_size, Link header and q', () => {
  assert.throws(
    () => parsePage(new URLSearchParams('page_size=101')),
    (e: HarborError) => e.status === 422 && e.code === 'UNPROCESSABLE_ENTITY',
  );
  assert.deepEqual(parsePage(new URLSearchParams('')), { page: 1, size: 10 });
  const h = pagingHeaders('/api/v2.0/projects', new URLSearchParams('q=name%3Dx'), { page: 2, size: 10 }, 25);
  assert.equal(h['X-Total-Count'], '25');
  assert.equal(
    h.Link,
    '</api/v2.0/projects?q=name%3Dx&page=1&page_size=10>; rel="prev" , </api/v2.0/projects?q=name%3Dx&page=3&page_size=10>; rel="next"',
  );
  assert.equal(pagingHeaders('/x', new URLSearchParams(), { page: 1, size: 10 }, 3).Link, undefined);
  const [q] = parseQ('tags={v1 v2}');
  assert.ok(q && matchValues(q, ['v2']));
  assert.ok(matchValues(parseQ('tags=*')[0]!, ['a']) && matchValues(parseQ('tags=nil')[0]!, []));
  assert.throws(
    () => parseQ('tags'),
    (e: HarborError) => e.status === 400,
  );
});

test('copy from= parsing: digest wins, no registry host', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseFrom(`dev/team/app:1.0@${d}`), {
    project: 'dev',
    repo: 'dev/team/app',
    tag: '1.0',
    digest: d,
  });
  assert.equal(parseFrom('127.0.0.1:5000/dev/app:1'), null);
  assert.equal(parseFrom('localhost/dev/app:1'), null);
  assert.equal(parseFrom('app:1'), null);
  assert.equal(parseFrom('dev/app'), null);
});

test('severity metadata parsing and scan overview shape', () => {
  assert.equal(parseThreshold('high'), 'High');
  assert.equal(parseThreshold('negligible'), 'None');
  assert.equal(parseThreshold('garbage'), 'Unknown');
  assert.equal(parseThreshold(undefined), 'Unknown');
  assert.equal(pickMime(undefined), MIME_V11);
  assert.equal(pickMime('application/vnd.scanner.adapter.vuln.report.harbor+json;version=1.0'), MIME_NATIVE);
  assert.equal(pickMime('text/plain'), null);
  const base = { digest: 'sha256:x', reportId: 'r', createdAt: '', log: [], repository: 'p/r' };
  assert.deepEqual(
    overview({ ...base, status: 'Pending', startTime: null, endTime: null, vulnerabilities: [] }),
    {
      report_id: 'r',
      scan_status: 'Pending',
      start_time: '0001-01-01T00:00:00.000Z',
      end_time: '0001-01-01T00:00:00.000Z',
    },
  );
  const ok = overview({
    ...base,
    status: 'Success',
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: '2026-01-01T00:00:05.000Z',
    vulnerabilities: [],
  });
  assert.equal(ok.severity, 'None');
  assert.deepEqual(ok.summary, { total: 0, fixable: 0, summary: {} });
  assert.equal(ok.duration, 5);
});
