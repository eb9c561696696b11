/**
 * Read-only Harbor inspection for `harbor-promote doctor`: does a project exist, what may the caller do in
 * it, which scanner would scan there. Nothing here changes Harbor (no scan is triggered, nothing copied),
 * so doctor can run against a production Harbor at any time. Templates are the swagger paths verbatim.
 */
import { z } from 'zod';
import type { HarborConnection } from './client.js';
import { HarborHttpError } from './errors.js';
import { ProjectSchema, type Project } from './schemas.js';

/** `Permission` in the swagger: `resource` is relative to the scope with `relative=true`. */
export const PermissionSchema = z.looseObject({ resource: z.string(), action: z.string() });
/** The parts of `ScannerRegistration` doctor reports. */
export const ScannerRegistrationSchema = z.looseObject({
  name: z.string().optional(),
  disabled: z.boolean().nullable().optional(),
  health: z.string().nullable().optional(),
});

export class HarborInspector {
  constructor(readonly conn: HarborConnection) {}

  /** `HEAD /projects?project_name=`: unlike GET, it answers 404 for a missing project to any user (GET says 403). */
  async projectExists(project: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.conn.request({
      method: 'HEAD',
      template: '/projects',
      query: { project_name: project },
      accept: [200, 404],
      signal,
    });
    return r.status === 200;
  }

  getProject(project: string, signal?: AbortSignal): Promise<Project> {
    return this.conn.getJson(ProjectSchema, {
      template: '/projects/{project_name_or_id}',
      params: { project_name_or_id: project },
      headers: { 'x-is-resource-name': 'true' },
      signal,
    });
  }

  /**
   * What the caller may do in a project, as `resource:action` (`getCurrentUserPermissions` with
   * `scope=/project/<id>&relative=true`). Harbor evaluates each policy of the scope without performing it.
   */
  async projectPermissions(projectId: number, signal?: AbortSignal): Promise<string[]> {
    const list = await this.conn.getJson(PermissionSchema.array().nullable(), {
      template: '/users/current/permissions',
      query: { scope: `/project/${projectId}`, relative: true },
      signal,
    });
    return (list ?? []).map((p) => `${p.resource}:${p.action}`);
  }

  /**
   * The project's effective scanner (its own, else the system default); null when there is none: Harbor
   * then answers 200 with an empty body (harbor-api.md §5).
   */
  async projectScanner(project: string, signal?: AbortSignal): Promise<string | null> {
    const r = await this.conn.request({
      method: 'GET',
      template: '/projects/{project_name_or_id}/scanner',
      params: { project_name_or_id: project },
      headers: { 'x-is-resource-name': 'true' },
      signal,
    });
    if (!r.body.trim() || r.body.trim() === 'null') return null;
    const s = ScannerRegistrationSchema.safeParse(JSON.parse(r.body));
    // A disabled registration scans nothing (scans answer 412), so it counts as none.
    if (!s.success || !s.data.name || s.data.disabled) return null;
    return `${s.data.name}${s.data.health && s.data.health !== 'healthy' ? ` (${s.data.health})` : ''}`;
  }
}

/** A short reason for a failed read, for one doctor line (Harbor's status and code, or the network error). */
export function reason(err: unknown): string {
  if (err instanceof HarborHttpError)
    return `${err.status} ${err.code}${err.harborMessage ? ` ${err.harborMessage}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
