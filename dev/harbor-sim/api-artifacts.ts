// Repositories, artifacts, tags, accessories and the vulnerabilities addition.
import { z } from 'zod';
import { HarborError, badRequest, conflict, notFound } from './errors';
import { readJson, sendEmpty, sendJson } from './httpx';
import {
  TAG_RE,
  accessoriesOf,
  artifactById,
  artifactsOfRepo,
  deleteArtifact,
  isChild,
  projectByName,
  tagByName,
  tagsOf,
} from './model';
import { matchValues, paginate, pagingHeaders, parsePage, parseQ, type QClause } from './paging';
import { isSysadmin } from './rbac';
import { accessoryJson, artifactJson, listable, repoJson, scannable, tagJson } from './render';
import { pickMime, vulnerabilitiesBody } from './report';
import {
  ARTIFACT_QUERY,
  artifactView,
  findArtifact,
  findRepo,
  repoFullName,
  requireProject,
} from './api-common';
import type { ApiCtx, Route } from './router';
import type { ArtifactRec } from './store';

const R = '/projects/{project_name}/repositories/{repository_name}';
const A = `${R}/artifacts/{reference}`;

const project = (c: ApiCtx, perm: string) => requireProject(c, c.params.project_name ?? '', perm, true);

function sortBy<T extends { pushTime?: string; name?: string; id: number }>(
  list: T[],
  sort: string | null,
  def: string,
): T[] {
  const keys = (sort || def)
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return [...list].sort((a, b) => {
    for (const k of keys) {
      const desc = k.startsWith('-');
      const f = (desc ? k.slice(1) : k) as 'push_time' | 'name' | 'id' | 'creation_time';
      const va = f === 'push_time' ? a.pushTime : f === 'name' ? a.name : a.id;
      const vb = f === 'push_time' ? b.pushTime : f === 'name' ? b.name : b.id;
      if (va === vb || va === undefined || vb === undefined) continue;
      return (va < vb ? -1 : 1) * (desc ? -1 : 1);
    }
    return b.id - a.id;
  });
}

function artifactMatches(c: ApiCtx, art: ArtifactRec, clauses: QClause[]): boolean {
  const s = c.sim.s;
  return clauses.every((q) => {
    switch (q.key) {
      case 'tags':
        return matchValues(
          q,
          tagsOf(s, art).map((t) => t.name),
        );
      case 'digest':
        return matchValues(q, [art.digest]);
      case 'type':
        return matchValues(q, [art.type]);
      case 'media_type':
        return matchValues(q, [art.mediaType]);
      case 'base':
        return true;
      default:
        return true;
    }
  });
}

function listArtifacts(c: ApiCtx): void {
  const page = parsePage(c.query);
  const clauses = parseQ(c.query.get('q'));
  const view = artifactView(c);
  const s = c.sim.s;
  const p = projectByName(s, c.params.project_name ?? '');
  if (!p && isSysadmin(c.id)) {
    sendJson(c.res, 200, [], { 'X-Total-Count': '0' });
    return;
  }
  project(c, 'artifact:list');
  const repo = findRepo(c);
  const includeChildren = clauses.some((q) => q.key === 'base');
  const all = repo
    ? sortBy(
        artifactsOfRepo(s, repo).filter(
          (a) => listable(s, a, includeChildren) && artifactMatches(c, a, clauses),
        ),
        c.query.get('sort'),
        '-push_time',
      )
    : [];
  sendJson(
    c.res,
    200,
    paginate(all, page).map((a) => artifactJson(s, a, view)),
    pagingHeaders(c.path, c.query, page, all.length),
  );
}

function getArtifact(c: ApiCtx): void {
  project(c, 'artifact:read');
  const view = artifactView(c);
  sendJson(c.res, 200, artifactJson(c.sim.s, findArtifact(c), view));
}

async function deleteArtifactRoute(c: ApiCtx): Promise<void> {
  project(c, 'artifact:delete');
  const art = findArtifact(c);
  if (isChild(c.sim.s, art))
    throw new HarborError('VIOLATE_FOREIGN_KEY_CONSTRAINT', 'the deleting artifact is referenced by others');
  const repo = findRepo(c)!;
  const gone = deleteArtifact(c.sim.s, art);
  c.sim.save();
  // the sim's records are authoritative; registry manifests are removed best-effort
  for (const a of gone) await c.sim.registry.deleteManifest(repo.name, a.digest).catch(() => undefined);
  sendEmpty(c.res, 200);
}

const NewTag = z.object({ name: z.string() }).passthrough();

async function createTag(c: ApiCtx): Promise<void> {
  project(c, 'tag:create');
  const parsed = NewTag.safeParse(await readJson(c.req));
  if (!parsed.success) throw badRequest('bad request: invalid tag');
  const name = parsed.data.name;
  const art = findArtifact(c);
  if (!TAG_RE.test(name)) throw badRequest(`bad request: invalid tag name: ${name}`);
  const repo = findRepo(c)!;
  if (tagByName(c.sim.s, repo, name))
    throw conflict(`tag ${name} already exists under the repository ${repo.id}`);
  c.sim.s.tags.push({
    id: c.sim.store.nextId('tag'),
    repositoryId: repo.id,
    artifactId: art.id,
    name,
    pushTime: new Date().toISOString(),
    pullTime: '',
  });
  c.sim.save();
  sendEmpty(c.res, 201);
}

function listTags(c: ApiCtx): void {
  project(c, 'tag:list');
  const page = parsePage(c.query);
  const clauses = parseQ(c.query.get('q'));
  const art = findArtifact(c);
  const all = sortBy(
    tagsOf(c.sim.s, art).filter((t) => clauses.every((q) => q.key !== 'name' || matchValues(q, [t.name]))),
    c.query.get('sort'),
    '-push_time',
  );
  sendJson(c.res, 200, paginate(all, page).map(tagJson), pagingHeaders(c.path, c.query, page, all.length));
}

function deleteTag(c: ApiCtx): void {
  project(c, 'tag:delete');
  const art = findArtifact(c);
  const name = c.params.tag_name ?? '';
  const t = tagsOf(c.sim.s, art).find((x) => x.name === name);
  if (!t) throw notFound(`tag ${name} attached to artifact ${art.id} not found`);
  c.sim.s.tags = c.sim.s.tags.filter((x) => x.id !== t.id);
  c.sim.save();
  sendEmpty(c.res, 200);
}

function listAccessories(c: ApiCtx): void {
  project(c, 'accessory:list');
  const page = parsePage(c.query);
  const clauses = parseQ(c.query.get('q'));
  const s = c.sim.s;
  const art = findArtifact(c);
  const all = accessoriesOf(s, art).filter((acc) =>
    clauses.every((q) => {
      if (q.key === 'type') return matchValues(q, [acc.type]);
      if (q.key === 'digest') return matchValues(q, [artifactById(s, acc.artifactId)?.digest ?? '']);
      return true;
    }),
  );
  sendJson(
    c.res,
    200,
    paginate(all, page).map((a) => accessoryJson(s, a)),
    pagingHeaders(c.path, c.query, page, all.length),
  );
}

function vulnerabilities(c: ApiCtx): void {
  const p = project(c, 'artifact-addition:read');
  const art = findArtifact(c);
  if (c.sim.faults.scanner === 'unavailable')
    throw notFound(`no scanner registration configured for project: ${p.id}`);
  const mime = pickMime(c.req.headers['x-accept-vulnerabilities'] as string | undefined);
  const r = c.sim.s.reports.find((x) => x.digest === art.digest);
  sendJson(c.res, 200, r && mime && scannable(c.sim.s, art) ? vulnerabilitiesBody(r, mime) : {});
}

export function artifactRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/projects/{project_name}/repositories',
      query: ['q', 'sort', 'page', 'page_size'],
      handler: (c) => {
        const p = project(c, 'repository:list');
        const page = parsePage(c.query);
        const clauses = parseQ(c.query.get('q'));
        const all = sortBy(
          c.sim.s.repositories
            .filter(
              (r) =>
                r.projectId === p.id && clauses.every((q) => q.key !== 'name' || matchValues(q, [r.name])),
            )
            .map((r) => ({ ...r, pushTime: r.updateTime })),
          c.query.get('sort'),
          '-push_time',
        );
        sendJson(
          c.res,
          200,
          paginate(all, page).map((r) => repoJson(c.sim.s, r)),
          pagingHeaders(c.path, c.query, page, all.length),
        );
      },
    },
    {
      method: 'GET',
      path: R,
      handler: (c) => {
        project(c, 'repository:read');
        const repo = findRepo(c);
        if (!repo) throw notFound(`repository ${repoFullName(c)} not found`);
        sendJson(c.res, 200, repoJson(c.sim.s, repo));
      },
    },
    {
      method: 'DELETE',
      path: R,
      handler: async (c) => {
        project(c, 'repository:delete');
        const repo = findRepo(c);
        if (!repo) throw notFound(`repository ${repoFullName(c)} not found`);
        const gone: ArtifactRec[] = [];
        for (const a of artifactsOfRepo(c.sim.s, repo))
          if (c.sim.s.artifacts.includes(a)) gone.push(...deleteArtifact(c.sim.s, a));
        c.sim.s.repositories = c.sim.s.repositories.filter((r) => r.id !== repo.id);
        c.sim.save();
        for (const a of gone) await c.sim.registry.deleteManifest(repo.name, a.digest).catch(() => undefined);
        sendEmpty(c.res, 200);
      },
    },
    {
      method: 'GET',
      path: `${R}/artifacts`,
      query: ['q', 'sort', 'with_immutable_status', ...ARTIFACT_QUERY],
      handler: listArtifacts,
    },
    { method: 'GET', path: A, query: ARTIFACT_QUERY, handler: getArtifact },
    { method: 'DELETE', path: A, handler: deleteArtifactRoute },
    { method: 'POST', path: `${A}/tags`, handler: createTag },
    { method: 'GET', path: `${A}/tags`, query: ['q', 'sort', 'page', 'page_size'], handler: listTags },
    { method: 'DELETE', path: `${A}/tags/{tag_name}`, handler: deleteTag },
    {
      method: 'GET',
      path: `${A}/accessories`,
      query: ['q', 'sort', 'page', 'page_size'],
      handler: listAccessories,
    },
    { method: 'GET', path: `${A}/additions/vulnerabilities`, handler: vulnerabilities },
  ];
}
