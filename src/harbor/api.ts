/**
 * The Harbor REST operations the activities use, each named after its swagger operationId. Templates are
 * the swagger paths verbatim so the contract test can check them against harbor-swagger-v2.yaml.
 */
import { z } from 'zod';
import type { HarborConnection } from './client.js';
import { HarborHttpError } from './errors.js';
import {
  AccessorySchema,
  ArtifactSchema,
  CveAllowlistSchema,
  ProjectSchema,
  TagSchema,
  VulnerabilityReportSchema,
  type Accessory,
  type Artifact,
  type CveAllowlist,
  type Project,
} from './schemas.js';

const ARTIFACT = '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}';

/** Harbor's default report mime types; Trivy's report then sits under the 1.1 key (harbor-api.md §5). */
export const ACCEPT_VULNERABILITIES =
  'application/vnd.security.vulnerability.report; version=1.1, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';

export interface ArtifactQuery {
  withTag?: boolean;
  withScanOverview?: boolean;
  withAccessory?: boolean;
}

export type ScanStart = 'started' | 'already-running';

export class HarborApi {
  constructor(readonly conn: HarborConnection) {}

  getArtifact(
    project: string,
    repository: string,
    reference: string,
    q: ArtifactQuery = {},
    signal?: AbortSignal,
  ): Promise<Artifact> {
    return this.conn.getJson(ArtifactSchema, {
      template: ARTIFACT,
      params: { project_name: project, repository_name: repository, reference },
      query: {
        with_tag: q.withTag ?? true,
        with_scan_overview: q.withScanOverview || undefined,
        with_accessory: q.withAccessory || undefined,
      },
      headers: q.withScanOverview ? { 'x-accept-vulnerabilities': ACCEPT_VULNERABILITIES } : undefined,
      signal,
    });
  }

  listArtifacts(project: string, repository: string, q?: string, signal?: AbortSignal): Promise<Artifact[]> {
    return this.conn.listAll(ArtifactSchema, {
      template: '/projects/{project_name}/repositories/{repository_name}/artifacts',
      params: { project_name: project, repository_name: repository },
      query: { q, with_tag: true },
      signal,
    });
  }

  listAccessories(
    project: string,
    repository: string,
    reference: string,
    type?: string,
    signal?: AbortSignal,
  ): Promise<Accessory[]> {
    return this.conn.listAll(AccessorySchema, {
      template: `${ARTIFACT}/accessories`,
      params: { project_name: project, repository_name: repository, reference },
      query: { q: type ? `type=${type}` : undefined },
      signal,
    });
  }

  listTags(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<z.infer<typeof TagSchema>[]> {
    return this.conn.listAll(TagSchema, {
      template: `${ARTIFACT}/tags`,
      params: { project_name: project, repository_name: repository, reference },
      signal,
    });
  }

  /** Server-side copy (CopyArtifact). `from` is `project/repository@sha256:…` or `…:tag`, encoded once. */
  async copyArtifact(
    dstProject: string,
    dstRepository: string,
    from: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.conn.request({
      method: 'POST',
      template: '/projects/{project_name}/repositories/{repository_name}/artifacts',
      params: { project_name: dstProject, repository_name: dstRepository },
      query: { from },
      signal,
    });
  }

  /** ScanArtifact; a 409 means a scan is already Pending/Running, which is what we wanted anyway. */
  async scanArtifact(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<ScanStart> {
    try {
      await this.conn.request({
        method: 'POST',
        template: `${ARTIFACT}/scan`,
        params: { project_name: project, repository_name: repository, reference },
        body: { scan_type: 'vulnerability' },
        signal,
      });
      return 'started';
    } catch (err) {
      if (err instanceof HarborHttpError && err.status === 409) return 'already-running';
      throw err;
    }
  }

  /** The vulnerability ids of the report (for allowlist decisions); `[]` when not scanned yet. */
  async getVulnerabilityIds(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const report = await this.conn.getJson(VulnerabilityReportSchema, {
      template: `${ARTIFACT}/additions/vulnerabilities`,
      params: { project_name: project, repository_name: repository, reference },
      headers: { 'x-accept-vulnerabilities': ACCEPT_VULNERABILITIES },
      signal,
    });
    const ids = new Set<string>();
    for (const r of Object.values(report)) for (const v of r.vulnerabilities ?? []) ids.add(v.id);
    return [...ids];
  }

  /** Tag an artifact; 409 (the tag exists, maybe on another artifact) is returned, not thrown. */
  async createTag(
    project: string,
    repository: string,
    reference: string,
    tag: string,
    signal?: AbortSignal,
  ): Promise<'created' | 'exists'> {
    try {
      await this.conn.request({
        method: 'POST',
        template: `${ARTIFACT}/tags`,
        params: { project_name: project, repository_name: repository, reference },
        body: { name: tag },
        signal,
      });
      return 'created';
    } catch (err) {
      if (err instanceof HarborHttpError && err.status === 409) return 'exists';
      throw err;
    }
  }

  async deleteArtifact(
    project: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.conn.request({
      method: 'DELETE',
      template: ARTIFACT,
      params: { project_name: project, repository_name: repository, reference },
      signal,
    });
  }

  /** By name: `X-Is-Resource-Name` stops a numeric-looking name being read as an id (harbor-api.md §0). */
  getProject(project: string, signal?: AbortSignal): Promise<Project> {
    return this.conn.getJson(ProjectSchema, {
      template: '/projects/{project_name_or_id}',
      params: { project_name_or_id: project },
      headers: { 'x-is-resource-name': 'true' },
      signal,
    });
  }

  getSystemCveAllowlist(signal?: AbortSignal): Promise<CveAllowlist> {
    return this.conn.getJson(CveAllowlistSchema, { template: '/system/CVEAllowlist', signal });
  }
}
