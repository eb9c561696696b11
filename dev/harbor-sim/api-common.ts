// Shared REST helpers: Harbor's 401/403/404 rules, boolean query params, artifact lookups by path.
import { forbidden, notFound, unauthorized, unprocessable } from './errors';
import { artifactByRef, projectByName, projectByNameOrId, repoByName } from './model';
import { can, isAuthenticated, isSysadmin } from './rbac';
import { type ArtifactView } from './render';
import { pickMime } from './report';
import type { ApiCtx } from './router';
import type { ArtifactRec, ProjectRec, RepoRec } from './store';

/** 401 when anonymous, 403 when authenticated but not allowed. */
export function deny(c: ApiCtx, msg = 'forbidden'): never {
  throw isAuthenticated(c.id) ? forbidden(msg) : unauthorized();
}

/** A missing project is 403 for non-admins (permission check on project 0 fails first), 404 for admins. */
export function requireProject(c: ApiCtx, nameOrId: string, perm: string, byName = false): ProjectRec {
  const forceName = byName || String(c.req.headers['x-is-resource-name'] ?? '').toLowerCase() === 'true';
  const p = byName ? projectByName(c.sim.s, nameOrId) : projectByNameOrId(c.sim.s, nameOrId, forceName);
  if (!p) {
    if (isSysadmin(c.id)) throw notFound(`project ${nameOrId} not found`);
    deny(c);
  }
  if (!can(c.sim.s, c.id, p, perm)) deny(c);
  return p;
}

export function requireSystem(c: ApiCtx, perm: string): void {
  if (!can(c.sim.s, c.id, null, perm)) deny(c);
}

export function requireSysadmin(c: ApiCtx): void {
  if (!isSysadmin(c.id))
    throw isAuthenticated(c.id)
      ? forbidden(c.id.kind === 'user' ? c.id.user.username : 'forbidden')
      : unauthorized();
}

export function boolQuery(c: ApiCtx, name: string, def: boolean): boolean {
  const v = c.query.get(name);
  if (v === null || v === '') return def;
  if (['true', '1', 't', 'TRUE', 'True', 'T'].includes(v)) return true;
  if (['false', '0', 'f', 'FALSE', 'False', 'F'].includes(v)) return false;
  throw unprocessable([`${name} in query must be of type boolean: "${v}"`]);
}

export function repoFullName(c: ApiCtx): string {
  return `${c.params.project_name}/${c.params.repository_name}`;
}

export function findRepo(c: ApiCtx): RepoRec | undefined {
  return repoByName(c.sim.s, repoFullName(c));
}

/** The artifact at {project_name}/{repository_name}/{reference}, with Harbor's 404 messages. */
export function findArtifact(c: ApiCtx): ArtifactRec {
  const full = repoFullName(c);
  const ref = c.params.reference ?? '';
  const repo = repoByName(c.sim.s, full);
  const art = repo ? artifactByRef(c.sim.s, repo, ref) : undefined;
  if (!art)
    throw notFound(
      ref.startsWith('sha256:') ? `artifact ${full}@${ref} not found` : `artifact ${full}:${ref} not found`,
    );
  return art;
}

export function artifactView(c: ApiCtx): ArtifactView {
  return {
    withTag: boolQuery(c, 'with_tag', true),
    withScanOverview: boolQuery(c, 'with_scan_overview', false),
    withAccessory: boolQuery(c, 'with_accessory', false),
    mime: pickMime(c.req.headers['x-accept-vulnerabilities'] as string | undefined),
    scannerAvailable: c.sim.faults.scanner !== 'unavailable',
    fieldOverrides: c.sim.faults.artifactFields,
  };
}

export const ARTIFACT_QUERY = [
  'with_tag',
  'with_label',
  'with_scan_overview',
  'with_sbom_overview',
  'with_accessory',
  'page',
  'page_size',
];
