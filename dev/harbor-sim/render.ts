// JSON shapes of the REST API, omitempty like go-swagger: empty strings, zero values and nil objects are left
// out; arrays are not omitempty, a nil slice is sent as `null` (harbor-api.md §0, measured on v2.15.2).
import type { Identity } from './rbac';
import { roleIds } from './rbac';
import type { AccessoryRec, AllowlistRec, ArtifactRec, ProjectRec, RepoRec, State, TagRec } from './store';
import { ZERO_TIME } from './store';
import {
  accessoriesOf,
  artifactById,
  artifactsOfRepo,
  isAccessory,
  isChild,
  isIndex,
  projectOfRepo,
  repoById,
  tagsOf,
} from './model';
import { overview } from './report';
import { parseThreshold } from './severity';

const IMAGE_ICON = 'sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06';
const SIG_ICON = 'sha256:20401d5b3a0f6dbc607c8d732eb08471af4ae6b19811a4efce8c6a724aed2882';

/** Drop undefined, empty strings, empty arrays, empty objects (unless kept), zero numbers and false. */
export function omitEmpty(o: Record<string, unknown>, keep: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (keep.includes(k)) {
      out[k] = v;
      continue;
    }
    if (v === undefined || v === null || v === '' || v === 0 || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

export function allowlistJson(a: AllowlistRec): Record<string, unknown> {
  return omitEmpty(
    {
      id: a.id,
      project_id: a.projectId,
      expires_at: a.expiresAt ?? undefined,
      items: a.items.map((cve_id) => ({ cve_id })),
      creation_time: a.creationTime,
      update_time: a.updateTime,
    },
    ['items'], // Harbor v2.15.2 sends `"items": []` for an empty allowlist (real-harbor.md)
  );
}

export function projectJson(s: State, p: ProjectRec, id: Identity): Record<string, unknown> {
  const roles = roleIds(s, id, p);
  const owner = s.users.find((u) => u.id === p.ownerId);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata))
    metadata[k] = k === 'severity' ? parseThreshold(v).toLowerCase() : v;
  return omitEmpty(
    {
      project_id: p.id,
      owner_id: p.ownerId,
      name: p.name,
      creation_time: p.creationTime,
      update_time: p.updateTime,
      owner_name: owner?.username,
      current_user_role_id: roles.length ? Math.min(...roles) : undefined,
      current_user_role_ids: roles,
      repo_count: s.repositories.filter((r) => r.projectId === p.id).length,
      metadata,
      cve_allowlist: allowlistJson(p.allowlist),
    },
    ['repo_count'],
  );
}

export function repoJson(s: State, r: RepoRec): Record<string, unknown> {
  return omitEmpty(
    {
      id: r.id,
      project_id: r.projectId,
      name: r.name,
      artifact_count: artifactsOfRepo(s, r).filter((a) => !isAccessory(s, a)).length,
      pull_count: r.pullCount,
      creation_time: r.creationTime,
      update_time: r.updateTime,
    },
    ['artifact_count', 'pull_count'],
  );
}

export function tagJson(t: TagRec): Record<string, unknown> {
  return omitEmpty(
    {
      id: t.id,
      repository_id: t.repositoryId,
      artifact_id: t.artifactId,
      name: t.name,
      push_time: t.pushTime,
      pull_time: t.pullTime || ZERO_TIME,
      immutable: false,
    },
    ['immutable'],
  );
}

export function accessoryJson(s: State, acc: AccessoryRec): Record<string, unknown> {
  const own = artifactById(s, acc.artifactId);
  const subject = artifactById(s, acc.subjectArtifactId);
  const subjectRepo = subject ? repoById(s, subject.repositoryId).name : '';
  return omitEmpty(
    {
      id: acc.id,
      artifact_id: acc.artifactId,
      subject_artifact_id: acc.subjectArtifactId,
      subject_artifact_digest: subject?.digest ?? '',
      subject_artifact_repo: subjectRepo,
      size: own?.size ?? 0,
      digest: own?.digest ?? '',
      type: acc.type,
      icon: acc.type.startsWith('signature.') ? SIG_ICON : '',
      creation_time: acc.creationTime,
    },
    ['artifact_id', 'subject_artifact_digest', 'subject_artifact_repo', 'size', 'digest', 'type', 'icon'],
  );
}

/** Harbor encodes "/" in the repository part of addition links as %252F. */
export function additionHref(project: string, repoFull: string, digest: string, name: string): string {
  const r = repoFull.slice(project.length + 1).replace(/\//g, '%252F');
  return `/api/v2.0/projects/${project}/repositories/${r}/artifacts/${digest}/additions/${name}`;
}

export interface ArtifactView {
  withTag: boolean;
  withScanOverview: boolean;
  withAccessory: boolean;
  mime: string | null;
  scannerAvailable: boolean;
  /** Fault injection (`/_sim/faults` `artifactFields`): fields replaced in the answer as given. */
  fieldOverrides?: Record<string, unknown>;
}

/** Can the (Trivy-like) scanner scan this artifact? Images and indexes of images, never accessories. */
export function scannable(s: State, art: ArtifactRec): boolean {
  if (isAccessory(s, art)) return false;
  return art.type === 'IMAGE';
}

export function artifactJson(s: State, art: ArtifactRec, v: ArtifactView): Record<string, unknown> {
  const repo = repoById(s, art.repositoryId);
  const project = projectOfRepo(s, repo);
  const links: Record<string, unknown> = {};
  if (art.type === 'IMAGE' && !isIndex(art))
    links.build_history = {
      href: additionHref(project.name, repo.name, art.digest, 'build_history'),
      absolute: false,
    };
  const canScan = v.scannerAvailable && scannable(s, art);
  if (canScan)
    links.vulnerabilities = {
      href: additionHref(project.name, repo.name, art.digest, 'vulnerabilities'),
      absolute: false,
    };
  let scanOverview: Record<string, unknown> | undefined;
  if (v.withScanOverview && canScan && v.mime) {
    const r = s.reports.find((x) => x.digest === art.digest);
    if (r) scanOverview = { [v.mime]: overview(r) };
  }
  const references = art.children.map((c) => {
    const child = s.artifacts.find((a) => a.repositoryId === repo.id && a.digest === c.digest);
    return omitEmpty({
      parent_id: art.id,
      child_id: child?.id ?? 0,
      child_digest: c.digest,
      platform: c.platform,
      annotations: c.annotations,
    });
  });
  const tags = v.withTag ? tagsOf(s, art).map(tagJson) : [];
  const accessories = v.withAccessory ? accessoriesOf(s, art).map((a) => accessoryJson(s, a)) : [];
  const json = omitEmpty(
    {
      id: art.id,
      type: art.type,
      media_type: art.mediaType,
      manifest_media_type: art.manifestMediaType,
      artifact_type: art.artifactType,
      project_id: project.id,
      repository_id: repo.id,
      repository_name: repo.name,
      digest: art.digest,
      size: art.size,
      icon: art.type === 'IMAGE' ? IMAGE_ICON : '',
      push_time: art.pushTime,
      pull_time: art.pullTime || ZERO_TIME,
      extra_attrs: Object.keys(art.extraAttrs).length ? art.extraAttrs : undefined,
      annotations: Object.keys(art.annotations).length ? art.annotations : undefined,
      // go-swagger does not omit arrays: Harbor v2.15.2 sends a nil slice as `null` (harbor-api.md §0).
      references: nilArray(references),
      tags: nilArray(tags),
      addition_links: Object.keys(links).length ? links : undefined,
      scan_overview: scanOverview,
      accessories: nilArray(accessories),
      labels: null, // the sim has no labels
    },
    ['references', 'tags', 'accessories', 'labels'],
  );
  return { ...json, ...v.fieldOverrides };
}

/** An empty (or not requested) array as Harbor sends it: `null`. */
export function nilArray<T>(a: T[]): T[] | null {
  return a.length ? a : null;
}

/** What artifact lists show: no accessories; untagged index children only when asked. */
export function listable(s: State, art: ArtifactRec, includeChildren: boolean): boolean {
  if (isAccessory(s, art)) return false;
  if (!includeChildren && isChild(s, art) && tagsOf(s, art).length === 0) return false;
  return true;
}
