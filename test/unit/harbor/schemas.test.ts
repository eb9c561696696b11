import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArtifactSchema, ProjectSchema } from '../../../src/harbor/schemas.js';

describe('schemas are tolerant', () => {
  it('accepts an omitempty artifact with unknown keys', () => {
    const a = ArtifactSchema.parse({ digest: 'sha256:1', brand_new_field: { x: 1 } });
    assert.equal(a.digest, 'sha256:1');
    assert.equal(a.tags, undefined);
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
});
