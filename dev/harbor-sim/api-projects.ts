// Projects, the metadata sub-API, CVE allowlists of projects, and the effective scanner.
import { z } from 'zod';
import {
  badRequest,
  conflict,
  forbidden,
  notFound,
  precondition,
  unauthorized,
  unprocessable,
} from './errors';
import { readJson, sendEmpty, sendJson } from './httpx';
import { PROJECT_NAME_RE, projectByName } from './model';
import { paginate, pagingHeaders, parsePage, parseQ } from './paging';
import { ROLE, can, isAuthenticated } from './rbac';
import { projectJson } from './render';
import { scannerRegistrationJson } from './report';
import { requireProject } from './api-common';
import type { ApiCtx, Route } from './router';
import type { AllowlistRec, ProjectRec } from './store';
import { now } from './store';

/** The metadata sub-API takes exactly one key per request, as Harbor does. */
async function onePair(req: Parameters<typeof readJson>[0]): Promise<[string, unknown]> {
  const body = await readJson(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('bad request: invalid metadata');
  const entries = Object.entries(body);
  if (entries.length !== 1) throw badRequest('only allow one key/value pair');
  return entries[0]!;
}

export const METADATA_KEYS = [
  'public',
  'enable_content_trust',
  'enable_content_trust_cosign',
  'prevent_vul',
  'severity',
  'auto_scan',
  'auto_sbom_generation',
  'reuse_sys_cve_allowlist',
  'retention_id',
  'proxy_speed_kb',
  'max_upstream_conn',
  'proxy_cache_local_on_not_found',
  'proxy_referrer_api',
  'proxy_cache_filter_pattern',
  'proxy_cache_filter_kind',
];
const BOOL_KEYS = new Set([
  'public',
  'enable_content_trust',
  'enable_content_trust_cosign',
  'prevent_vul',
  'auto_scan',
  'auto_sbom_generation',
  'reuse_sys_cve_allowlist',
  'proxy_cache_local_on_not_found',
  'proxy_referrer_api',
]);

const AllowlistBody = z
  .object({
    id: z.number().int().optional(),
    project_id: z.number().int().optional(),
    expires_at: z.number().int().nullable().optional(),
    items: z
      .array(z.object({ cve_id: z.string() }).passthrough())
      .nullable()
      .optional(),
  })
  .passthrough();
export const ProjectReqSchema = z
  .object({
    project_name: z.string().max(255).optional(),
    public: z.boolean().nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    cve_allowlist: AllowlistBody.nullable().optional(),
    storage_limit: z.number().int().nullable().optional(),
    registry_id: z.number().int().nullable().optional(),
  })
  .passthrough();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const first = r.error.issues[0];
    throw unprocessable([`${first?.path.join('.') || 'body'} in body ${first?.message ?? 'is invalid'}`]);
  }
  return r.data;
}

/** Metadata keys kept from POST/PUT /projects: known keys only, values as strings, not validated (except public). */
function looseMetadata(m: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {}))
    if (METADATA_KEYS.includes(k) && v !== null && v !== undefined) out[k] = String(v);
  if (out.public !== undefined && out.public !== 'true' && out.public !== 'false')
    throw badRequest(`invalid value of public: ${out.public}`);
  return out;
}

function parseBoolStr(v: string): string | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return 'true';
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return 'false';
  return null;
}

/** The single-key metadata API validates and normalises. */
export function validateMetadata(key: string, raw: unknown): string {
  if (!METADATA_KEYS.includes(key)) throw badRequest(`invalid key: ${key}`);
  const v = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (BOOL_KEYS.has(key)) {
    const b = parseBoolStr(v);
    if (b === null) throw badRequest(`invalid value: ${v}`);
    return b;
  }
  if (key === 'severity') {
    const l = v.toLowerCase();
    if (!['none', 'low', 'medium', 'high', 'critical'].includes(l)) throw badRequest(`invalid value: ${v}`);
    return l;
  }
  if (key === 'retention_id' && !/^\d+$/.test(v)) throw badRequest(`invalid value: ${v}`);
  return v;
}

export function allowlistItems(items: { cve_id: string }[] | null | undefined): string[] {
  const ids = (items ?? []).map((i) => i.cve_id.trim());
  const seen = new Set<string>();
  for (const id of ids) {
    if (!id) throw badRequest('bad request: empty CVE ID in allowlist');
    if (seen.has(id)) throw badRequest(`bad request: duplicate CVE ID in allowlist: ${id}`);
    seen.add(id);
  }
  return ids;
}

function setAllowlist(a: AllowlistRec, body: z.infer<typeof AllowlistBody>): void {
  a.items = allowlistItems(body.items);
  a.expiresAt = body.expires_at ?? null;
  a.updateTime = now();
}

async function createProject(c: ApiCtx): Promise<void> {
  if (!isAuthenticated(c.id)) throw unauthorized();
  if (c.id.kind === 'robot' && c.id.robot.level !== 'system')
    throw forbidden('Only system level robot can create project');
  if (c.id.kind === 'robot' && !can(c.sim.s, c.id, null, 'project:create')) throw forbidden();
  const body = parseBody(ProjectReqSchema, await readJson(c.req));
  const name = body.project_name ?? '';
  if (!PROJECT_NAME_RE.test(name))
    throw badRequest('project name is not in lower case or contains illegal characters');
  if (projectByName(c.sim.s, name)) throw conflict(`The project named ${name} already exists`);
  const metadata = looseMetadata(body.metadata);
  if (metadata.public === undefined) metadata.public = body.public === true ? 'true' : 'false';
  const t = now();
  const id = c.sim.store.nextId('project');
  const ownerId = c.id.kind === 'user' ? c.id.user.id : 1;
  const p: ProjectRec = {
    id,
    name,
    ownerId,
    creationTime: t,
    updateTime: t,
    metadata,
    allowlist: {
      id: c.sim.store.nextId('allowlist') + 1,
      projectId: id,
      expiresAt: null,
      items: [],
      creationTime: t,
      updateTime: t,
    },
  };
  c.sim.s.projects.push(p);
  if (c.id.kind === 'user')
    c.sim.s.members.push({ projectId: id, userId: c.id.user.id, roleId: ROLE.projectAdmin });
  c.sim.save();
  const byName = String(c.req.headers['x-resource-name-in-location'] ?? '').toLowerCase() === 'true';
  sendEmpty(c.res, 201, { Location: `/api/v2.0/projects/${byName ? name : id}` });
}

async function updateProject(c: ApiCtx): Promise<void> {
  const p = requireProject(c, c.params.project_name_or_id ?? '', 'project:update');
  const body = parseBody(ProjectReqSchema, await readJson(c.req));
  const meta = looseMetadata(body.metadata);
  Object.assign(p.metadata, meta);
  if (body.cve_allowlist) {
    const pid = body.cve_allowlist.project_id ?? 0;
    if (pid !== 0 && pid !== p.id)
      throw badRequest(
        `bad request: project ID in the CVE allowlist (${pid}) doesn't match the project ID (${p.id})`,
      );
    setAllowlist(p.allowlist, body.cve_allowlist);
  }
  p.updateTime = now();
  c.sim.save();
  sendEmpty(c.res, 200);
}

function listProjects(c: ApiCtx): void {
  const page = parsePage(c.query);
  const name = c.query.get('name');
  const clauses = parseQ(c.query.get('q'));
  let list = c.sim.s.projects.filter((p) => can(c.sim.s, c.id, p, 'project:read'));
  if (name) list = list.filter((p) => p.name === name);
  for (const q of clauses) {
    if (q.key === 'name' && q.kind === 'exact') list = list.filter((p) => p.name === q.value);
    if (q.key === 'name' && q.kind === 'fuzzy') list = list.filter((p) => p.name.includes(q.value));
  }
  const total = list.length;
  sendJson(
    c.res,
    200,
    paginate(list, page).map((p) => projectJson(c.sim.s, p, c.id)),
    pagingHeaders(c.path, c.query, page, total),
  );
}

function metaRoutes(): Route[] {
  const P = '/projects/{project_name_or_id}/metadatas';
  return [
    {
      method: 'GET',
      path: `${P}/`,
      handler: (c) =>
        sendJson(c.res, 200, requireProject(c, c.params.project_name_or_id ?? '', 'metadata:read').metadata),
    },
    {
      method: 'POST',
      path: `${P}/`,
      handler: async (c) => {
        const p = requireProject(c, c.params.project_name_or_id ?? '', 'metadata:create');
        const [k, v] = await onePair(c.req);
        p.metadata[k] = validateMetadata(k, v);
        p.updateTime = now();
        c.sim.save();
        sendEmpty(c.res, 201, { Location: `/api/v2.0/projects/${p.id}/metadatas/${k}` });
      },
    },
    {
      method: 'GET',
      path: `${P}/{meta_name}`,
      handler: (c) => {
        const p = requireProject(c, c.params.project_name_or_id ?? '', 'metadata:read');
        const k = c.params.meta_name ?? '';
        if (p.metadata[k] === undefined) throw notFound(`metadata ${k} not found`);
        sendJson(c.res, 200, { [k]: p.metadata[k] });
      },
    },
    {
      method: 'PUT',
      path: `${P}/{meta_name}`,
      handler: async (c) => {
        const p = requireProject(c, c.params.project_name_or_id ?? '', 'metadata:update');
        const [k, v] = await onePair(c.req);
        if (k !== c.params.meta_name) throw badRequest(`invalid key: ${k}`);
        p.metadata[k] = validateMetadata(k, v);
        p.updateTime = now();
        c.sim.save();
        sendEmpty(c.res, 200);
      },
    },
    {
      method: 'DELETE',
      path: `${P}/{meta_name}`,
      handler: (c) => {
        const p = requireProject(c, c.params.project_name_or_id ?? '', 'metadata:delete');
        const k = c.params.meta_name ?? '';
        if (p.metadata[k] === undefined) throw notFound(`metadata ${k} not found`);
        delete p.metadata[k];
        c.sim.save();
        sendEmpty(c.res, 200);
      },
    },
  ];
}

/** DeleteProject (handler/project.go): only an empty project; its members and project robots go with it. */
function deleteProject(c: ApiCtx): void {
  const p = requireProject(c, c.params.project_name_or_id ?? '', 'project:delete');
  const s = c.sim.s;
  if (s.repositories.some((r) => r.projectId === p.id))
    throw precondition('the project contains repositories, can not be deleted');
  s.projects = s.projects.filter((x) => x.id !== p.id);
  s.members = s.members.filter((m) => m.projectId !== p.id);
  s.robots = s.robots.filter((r) => !(r.level === 'project' && r.permissions[0]?.namespace === p.name));
  c.sim.save();
  sendEmpty(c.res, 200);
}

export function projectRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/projects',
      query: ['q', 'page', 'page_size', 'sort', 'name', 'public', 'owner', 'with_detail'],
      handler: listProjects,
    },
    {
      method: 'HEAD',
      path: '/projects',
      query: ['project_name'],
      handler: (c) => {
        if (!isAuthenticated(c.id)) throw unauthorized();
        const name = c.query.get('project_name');
        if (!name) throw unprocessable(['project_name in query is required']);
        if (!projectByName(c.sim.s, name)) throw notFound(`project ${name} not found`);
        sendEmpty(c.res, 200);
      },
    },
    { method: 'POST', path: '/projects', handler: createProject },
    {
      method: 'GET',
      path: '/projects/{project_name_or_id}',
      handler: (c) =>
        sendJson(
          c.res,
          200,
          projectJson(c.sim.s, requireProject(c, c.params.project_name_or_id ?? '', 'project:read'), c.id),
        ),
    },
    { method: 'PUT', path: '/projects/{project_name_or_id}', handler: updateProject },
    { method: 'DELETE', path: '/projects/{project_name_or_id}', handler: deleteProject },
    ...metaRoutes(),
    {
      method: 'GET',
      path: '/projects/{project_name_or_id}/scanner',
      handler: (c) => {
        requireProject(c, c.params.project_name_or_id ?? '', 'scanner:read');
        if (c.sim.faults.scanner === 'unavailable') {
          sendEmpty(c.res, 200);
          return;
        }
        sendJson(c.res, 200, scannerRegistrationJson());
      },
    },
  ];
}
