import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArtifactSchema,
  CveAllowlistSchema,
  ProjectSchema,
  VulnerabilityReportSchema,
} from '../../../src/harbor/schemas.js';

describe('schemas are tolerant', () => {
  it('accepts an omitempty artifact with unknown keys', () => {
    const a = ArtifactSchema.parse({ digest: 'sha256:1', brand_new_field: { x: 1 } });
    assert.equal(a.digest, 'sha256:1');
    assert.deepEqual(a.tags, [], 'an absent array reads as empty');
    assert.deepEqual((a as Record<string, unknown>).brand_new_field, { x: 1 });
  });

  it('accepts a pending scan overview without summary or severity', () => {
    const a = ArtifactSchema.parse({
      digest: 'sha256:1',
      scan_overview: {
        'application/vnd.security.vulnerability.report; version=1.1': {
          report_id: 'r',
          scan_status: 'Pending',
          start_time: '0001-01-01T00:00:00.000Z',
          end_time: '0001-01-01T00:00:00.000Z',
        },
      },
    });
    assert.ok(a.scan_overview);
  });

  it('accepts a project without metadata and an allowlist with null expiry', () => {
    const p = ProjectSchema.parse({ name: 'p', cve_allowlist: { expires_at: null, items: [] } });
    assert.equal(p.metadata, undefined);
  });

  it('rejects an artifact without digest', () => {
    assert.equal(ArtifactSchema.safeParse({ id: 1 }).success, false);
  });

  it('accepts null arrays as real Harbor v2.15.2 sends them, read as []', () => {
    // Measured on Harbor v2.15.2 (real-harbor.md): an untagged plain image without accessories.
    const a = ArtifactSchema.parse({
      digest: 'sha256:1',
      tags: null,
      accessories: null,
      references: null,
      labels: null,
    });
    assert.deepEqual([a.tags, a.accessories, a.references], [[], [], []]);
    const list = CveAllowlistSchema.parse({ items: null });
    assert.deepEqual(list.items, []);
    const report = VulnerabilityReportSchema.parse({ m: { vulnerabilities: null } });
    assert.deepEqual(report.m?.vulnerabilities, []);
    const scanned = ArtifactSchema.parse({
      digest: 'sha256:1',
      scan_overview: { m: { scan_status: 'Success', summary: { total: 0, summary: null } } },
    });
    assert.equal(scanned.scan_overview?.m?.summary?.summary, null);
  });

  it('rejects a field of another shape, naming its path', () => {
    const r = ArtifactSchema.safeParse({ digest: 'sha256:1', tags: 42 });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['tags']);
    const nested = ArtifactSchema.safeParse({ digest: 'sha256:1', accessories: [{ type: 'x' }] });
    assert.deepEqual(nested.error?.issues[0]?.path, ['accessories', 0, 'digest']);
  });
});
