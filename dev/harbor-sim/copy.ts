// CopyArtifact (harbor-api.md §4): synchronous, server-side (cross-repository blob mounts), every source
// tag, accessories deeply on the first copy only, then PUSH_ARTIFACT (auto-scan Pending before the 201).
import { HarborError, badRequest, denied, notFound, unprocessable } from './errors';
import { sendEmpty } from './httpx';
import { linkAccessory, recordManifest } from './manifest';
import {
  REPO_PATH_RE,
  accessoriesOf,
  artifactByDigest,
  artifactById,
  artifactByRef,
  ensureRepo,
  isAccessory,
  projectByName,
  putTag,
  repoById,
  repoByName,
  tagsOf,
} from './model';
import { deny } from './api-common';
import { can } from './rbac';
import type { ApiCtx } from './router';
import type { Sim } from './sim';
import type { ArtifactRec, ProjectRec } from './store';

export interface FromRef {
  project: string;
  repo: string; // full "P/R"
  tag: string | null;
  digest: string | null;
}

/** Parse `from=<P>/<R>:<tag>` or `@sha256:…` (the digest wins); no registry host allowed. */
export function parseFrom(from: string): FromRef | null {
  const m = /^([^:@]+)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(from);
  if (!m) return null;
  const name = m[1] ?? '';
  const first = name.split('/')[0] ?? '';
  if (
    !REPO_PATH_RE.test(name) ||
    !name.includes('/') ||
    first === 'localhost' ||
    /^\d+\.\d+\.\d+\.\d+$/.test(first)
  )
    return null;
  if (!m[2] && !m[3]) return null;
  return { project: first, repo: name, tag: m[2] ?? null, digest: m[3] ?? null };
}

async function copyDeeply(
  sim: Sim,
  src: ArtifactRec,
  dstProject: ProjectRec,
  dstRepoName: string,
  ensured: ArtifactRec[],
): Promise<ArtifactRec> {
  const s = sim.s;
  const srcRepo = repoById(s, src.repositoryId);
  const dstRepo = ensureRepo(s, dstProject, dstRepoName, sim.ids('repository'));
  const existing = artifactByDigest(s, dstRepo, src.digest);
  const copyTags = async (art: ArtifactRec, body?: { data: Buffer; mediaType: string }): Promise<void> => {
    for (const t of tagsOf(s, src)) {
      putTag(s, art, t.name, sim.ids('tag'));
      if (body) await sim.registry.putManifest(dstRepoName, t.name, body.data, body.mediaType);
    }
  };
  if (existing) {
    await copyTags(existing);
    ensured.push(existing);
    return existing;
  }
  for (const c of src.children) {
    const child = artifactByDigest(s, srcRepo, c.digest);
    if (child) await copyDeeply(sim, child, dstProject, dstRepoName, ensured);
  }
  for (const b of [...(src.config ? [src.config] : []), ...src.layers]) {
    if (b.digest) await sim.registry.mountBlob(dstRepoName, b.digest, srcRepo.name);
  }
  const m = await sim.registry.getManifest(srcRepo.name, src.digest);
  if (!m) throw new Error(`manifest ${srcRepo.name}@${src.digest} missing in the registry`);
  await sim.registry.putManifest(dstRepoName, src.digest, m.body, m.mediaType);
  const art = await recordManifest(sim, dstProject, dstRepoName, src.digest, src.digest, m.body, m.mediaType);
  await copyTags(art, { data: m.body, mediaType: m.mediaType });
  ensured.push(art);
  for (const acc of accessoriesOf(s, src)) {
    const accArt = artifactById(s, acc.artifactId);
    if (!accArt) continue;
    const copied = await copyDeeply(sim, accArt, dstProject, dstRepoName, ensured);
    linkAccessory(sim, copied, art, acc.type);
  }
  return art;
}

export async function copyArtifact(c: ApiCtx): Promise<void> {
  const sim = c.sim;
  const s = sim.s;
  const from = c.query.get('from');
  if (from === null || from === '') throw unprocessable(['from in query is required']);
  const dstProjectName = c.params.project_name ?? '';
  const dstRepoName = `${dstProjectName}/${c.params.repository_name ?? ''}`;
  // quota middleware first: destination project, then the source artifact (400, before any auth check).
  // It looks the source up before the handler parses `from`, so on Harbor v2.15.2 a malformed `from` answers
  // 400 `artifact <from> not found` (measured, real-harbor.md), not the handler's `invalid input`.
  const dstProject = projectByName(s, dstProjectName);
  if (!dstProject) throw notFound(`project ${dstProjectName} not found`);
  const ref = parseFrom(from);
  if (!ref) throw badRequest(`artifact ${from} not found`);
  const srcRepo = repoByName(s, ref.repo);
  const src = srcRepo ? artifactByRef(s, srcRepo, ref.digest ?? ref.tag ?? '') : undefined;
  if (!src) throw badRequest(`artifact ${from} not found`);
  if (!can(s, c.id, dstProject, 'artifact:create')) deny(c);
  const srcProject = projectByName(s, ref.project);
  if (!srcProject || !can(s, c.id, srcProject, 'artifact:read')) deny(c);
  if (isAccessory(s, src)) throw denied("the operation isn't supported for an artifact accessory");
  if (!REPO_PATH_RE.test(dstRepoName))
    throw badRequest(`bad request: invalid repository name: ${dstRepoName}`);
  const ensured: ArtifactRec[] = [];
  try {
    await copyDeeply(sim, src, dstProject, dstRepoName, ensured);
  } catch (e) {
    sim.save();
    throw e instanceof HarborError
      ? e
      : new HarborError('UNKNOWN', e instanceof Error ? e.message : String(e), 500);
  }
  // PUSH_ARTIFACT → auto-scan. On Harbor v2.15.2 the copy's auto-scan is already Pending when the 201 is
  // seen: no window in which a pull or an overview sees the copy "not scanned" or a stale report.
  for (const a of ensured) sim.onPush(dstProject, a, { now: true });
  sim.save();
  const repoSeg = encodeURIComponent(c.params.repository_name ?? '');
  sendEmpty(c.res, 201, {
    Location: `/api/v2.0/projects/${dstProjectName}/repositories/${repoSeg}/artifacts/${ref.digest ?? ref.tag}`,
  });
}
