// Queries and mutations on the state that every part of the sim shares (REST, /v2, copy, scanner).
import type { AccessoryRec, ArtifactRec, ProjectRec, RepoRec, State, TagRec } from './store';
import { now } from './store';

export const PROJECT_NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
export const REPO_PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

export function projectByName(s: State, name: string): ProjectRec | undefined {
  return s.projects.find((p) => p.name === name);
}
export function projectByNameOrId(s: State, v: string, forceName: boolean): ProjectRec | undefined {
  if (!forceName && /^\d+$/.test(v)) return s.projects.find((p) => p.id === Number(v));
  return projectByName(s, v);
}
export function projectOfRepo(s: State, repo: RepoRec): ProjectRec {
  const p = s.projects.find((x) => x.id === repo.projectId);
  if (!p) throw new Error('repository without project');
  return p;
}
export function repoByName(s: State, fullName: string): RepoRec | undefined {
  return s.repositories.find((r) => r.name === fullName);
}
export function repoById(s: State, id: number): RepoRec {
  const r = s.repositories.find((x) => x.id === id);
  if (!r) throw new Error(`repository ${id} missing`);
  return r;
}
export function ensureRepo(s: State, project: ProjectRec, fullName: string, nextId: () => number): RepoRec {
  let r = repoByName(s, fullName);
  if (!r) {
    const t = now();
    r = { id: nextId(), projectId: project.id, name: fullName, creationTime: t, updateTime: t, pullCount: 0 };
    s.repositories.push(r);
  }
  return r;
}
export function artifactsOfRepo(s: State, repo: RepoRec): ArtifactRec[] {
  return s.artifacts.filter((a) => a.repositoryId === repo.id);
}
export function artifactById(s: State, id: number): ArtifactRec | undefined {
  return s.artifacts.find((a) => a.id === id);
}
export function artifactByDigest(s: State, repo: RepoRec, digest: string): ArtifactRec | undefined {
  return s.artifacts.find((a) => a.repositoryId === repo.id && a.digest === digest);
}
export function tagByName(s: State, repo: RepoRec, name: string): TagRec | undefined {
  return s.tags.find((t) => t.repositoryId === repo.id && t.name === name);
}
/** A tag or a digest; anything that looks like a digest is treated as one. */
export function artifactByRef(s: State, repo: RepoRec, ref: string): ArtifactRec | undefined {
  if (ref.startsWith('sha256:')) return artifactByDigest(s, repo, ref);
  const t = tagByName(s, repo, ref);
  return t ? artifactById(s, t.artifactId) : undefined;
}
export function tagsOf(s: State, art: ArtifactRec): TagRec[] {
  return s.tags.filter((t) => t.artifactId === art.id);
}
export function accessoriesOf(s: State, art: ArtifactRec): AccessoryRec[] {
  return s.accessories.filter((a) => a.subjectArtifactId === art.id);
}
export function isAccessory(s: State, art: ArtifactRec): boolean {
  return s.accessories.some((a) => a.artifactId === art.id);
}
export function isIndex(art: ArtifactRec): boolean {
  return art.children.length > 0 || /manifest\.list|image\.index/.test(art.manifestMediaType);
}
/** Is the artifact referenced as a child of an index in the same repository? */
export function isChild(s: State, art: ArtifactRec): boolean {
  return s.artifacts.some(
    (a) => a.repositoryId === art.repositoryId && a.children.some((c) => c.digest === art.digest),
  );
}

/** Attach (or move) a tag to an artifact. Returns false if nothing changed. */
export function putTag(s: State, art: ArtifactRec, name: string, nextId: () => number, at = now()): TagRec {
  const existing = s.tags.find((t) => t.repositoryId === art.repositoryId && t.name === name);
  if (existing) {
    if (existing.artifactId !== art.id) {
      existing.artifactId = art.id;
      existing.pushTime = at;
    }
    return existing;
  }
  const tag: TagRec = {
    id: nextId(),
    repositoryId: art.repositoryId,
    artifactId: art.id,
    name,
    pushTime: at,
    pullTime: '',
  };
  s.tags.push(tag);
  return tag;
}

/** Delete an artifact with its tags, its hard accessories (recursively) and unreferenced children. Returns deleted digests. */
export function deleteArtifact(s: State, art: ArtifactRec): ArtifactRec[] {
  const gone: ArtifactRec[] = [art];
  for (const acc of accessoriesOf(s, art)) {
    const accArt = artifactById(s, acc.artifactId);
    if (accArt) gone.push(...deleteArtifact(s, accArt));
  }
  s.artifacts = s.artifacts.filter((a) => a.id !== art.id);
  s.tags = s.tags.filter((t) => t.artifactId !== art.id);
  s.accessories = s.accessories.filter((a) => a.artifactId !== art.id && a.subjectArtifactId !== art.id);
  for (const c of art.children) {
    const child = s.artifacts.find((a) => a.repositoryId === art.repositoryId && a.digest === c.digest);
    if (child && !isChild(s, child) && tagsOf(s, child).length === 0) gone.push(...deleteArtifact(s, child));
  }
  // reports go once no artifact with that digest remains
  const digests = new Set(s.artifacts.map((a) => a.digest));
  s.reports = s.reports.filter((r) => digests.has(r.digest));
  return gone;
}
