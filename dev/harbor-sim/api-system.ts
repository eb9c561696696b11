// Probes, system info, the system CVE allowlist, users (minimal) and robot accounts.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { hashSecret } from './auth';
import { badRequest, conflict, notFound, unauthorized, unprocessable } from './errors';
import { readJson, sendEmpty, sendJson } from './httpx';
import { PROJECT_NAME_RE, projectByName } from './model';
import { paginate, pagingHeaders, parsePage, parseQ } from './paging';
import { can, isAuthenticated, isSysadmin } from './rbac';
import { allowlistJson, omitEmpty } from './render';
import { allowlistItems } from './api-projects';
import { deny, requireSysadmin } from './api-common';
import { robotPermissionValid } from './robot-permissions';
import type { Route } from './router';
import type { RobotPermission } from './store';
import { now } from './store';

const HARBOR_VERSION = 'v2.15.2-sim';

const RobotCreateSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    secret: z.string().optional(),
    level: z.string(),
    disable: z.boolean().optional(),
    duration: z.number().int(),
    permissions: z.array(
      z.object({
        kind: z.string(),
        namespace: z.string(),
        access: z.array(
          z.object({ resource: z.string(), action: z.string(), effect: z.string().optional() }).passthrough(),
        ),
      }),
    ),
  })
  .passthrough();

const SystemAllowlistSchema = z
  .object({
    expires_at: z.number().int().nullable().optional(),
    items: z
      .array(z.object({ cve_id: z.string() }).passthrough())
      .nullable()
      .optional(),
  })
  .passthrough();

function userJson(u: {
  id: number;
  username: string;
  email: string;
  sysadmin: boolean;
  creationTime: string;
}): Record<string, unknown> {
  return omitEmpty({
    user_id: u.id,
    username: u.username,
    email: u.email,
    realname: u.username,
    sysadmin_flag: u.sysadmin,
    creation_time: u.creationTime,
    update_time: u.creationTime,
  });
}

export function systemRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/ping',
      handler: (c) => {
        c.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 4 });
        c.res.end('Pong');
      },
    },
    {
      method: 'GET',
      path: '/health',
      handler: (c) =>
        sendJson(c.res, 200, {
          status: 'healthy',
          components: [
            'core',
            'database',
            'jobservice',
            'portal',
            'redis',
            'registry',
            'registryctl',
            'trivy',
          ].map((name) => ({
            name,
            status: name === 'trivy' && c.sim.faults.scanner === 'unavailable' ? 'unhealthy' : 'healthy',
          })),
        }),
    },
    {
      method: 'GET',
      path: '/systeminfo',
      handler: (c) => {
        const base = {
          auth_mode: 'db_auth',
          primary_auth_mode: false,
          self_registration: false,
          banner_message: '',
          oidc_provider_name: '',
        };
        const authed = isAuthenticated(c.id)
          ? {
              harbor_version: HARBOR_VERSION,
              read_only: false,
              with_chartmuseum: false,
              has_ca_root: false,
              registry_url: String(c.req.headers.host ?? ''),
              external_url: `http://${c.req.headers.host ?? ''}`,
              project_creation_restriction: 'everyone',
              notification_enable: true,
              registry_storage_provider_name: 'filesystem',
            }
          : {};
        sendJson(c.res, 200, omitEmpty({ ...base, ...authed }));
      },
    },
    {
      method: 'GET',
      path: '/system/CVEAllowlist',
      handler: (c) => {
        if (!isAuthenticated(c.id)) throw unauthorized();
        sendJson(c.res, 200, allowlistJson(c.sim.s.systemAllowlist));
      },
    },
    {
      method: 'PUT',
      path: '/system/CVEAllowlist',
      handler: async (c) => {
        requireSysadmin(c);
        const r = SystemAllowlistSchema.safeParse(await readJson(c.req));
        if (!r.success) throw badRequest('bad request: invalid CVE allowlist');
        const a = c.sim.s.systemAllowlist;
        a.items = allowlistItems(r.data.items);
        a.expiresAt = r.data.expires_at ?? null;
        a.updateTime = now();
        c.sim.save();
        sendEmpty(c.res, 200);
      },
    },
    {
      method: 'GET',
      path: '/users/current',
      handler: (c) => {
        if (c.id.kind !== 'user') throw unauthorized();
        sendJson(c.res, 200, userJson(c.id.user));
      },
    },
    {
      method: 'GET',
      path: '/users',
      query: ['q', 'page', 'page_size', 'sort'],
      handler: (c) => {
        requireSysadmin(c);
        const page = parsePage(c.query);
        const all = c.sim.s.users;
        sendJson(
          c.res,
          200,
          paginate(all, page).map(userJson),
          pagingHeaders(c.path, c.query, page, all.length),
        );
      },
    },
    {
      method: 'GET',
      path: '/robots',
      query: ['q', 'page', 'page_size', 'sort'],
      handler: (c) => {
        requireSysadmin(c);
        const page = parsePage(c.query);
        // Without `q=Level=project,ProjectID=N` Harbor lists system-level robots only (handler/robot.go).
        const q = Object.fromEntries(
          parseQ(c.query.get('q')).map((x) => [
            x.key,
            x.kind === 'exact' || x.kind === 'fuzzy' ? x.value : '',
          ]),
        );
        const level = q.Level ?? 'system';
        if (level !== 'system' && level !== 'project') throw badRequest('bad request error level input');
        let projectName: string | undefined;
        if (level === 'project') {
          if (!q.ProjectID) throw badRequest('must with project ID when to query project robots');
          const pid = Number(q.ProjectID);
          if (!Number.isInteger(pid) || pid <= 0) throw badRequest('ProjectID must be a positive integer');
          projectName = c.sim.s.projects.find((p) => p.id === pid)?.name ?? '';
        }
        const all = c.sim.s.robots.filter(
          (r) => r.level === level && (level === 'system' || r.permissions[0]?.namespace === projectName),
        );
        const adminId = c.sim.s.users.find((u) => u.username === 'admin')?.id;
        const body = paginate(all, page).map((r) =>
          omitEmpty({
            id: r.id,
            name: r.name,
            description: r.description,
            level: r.level,
            disable: r.disabled,
            expires_at: r.expiresAt,
            duration: r.expiresAt === -1 ? -1 : undefined,
            editable: true,
            creator_type: r.creatorType ?? 'local',
            creator_ref: r.creatorRef ?? adminId,
            permissions: r.permissions,
            creation_time: r.creationTime,
            update_time: r.creationTime,
          }),
        );
        sendJson(c.res, 200, body, pagingHeaders(c.path, c.query, page, all.length));
      },
    },
    {
      method: 'DELETE',
      path: '/robots/{robot_id}',
      handler: (c) => {
        if (!isAuthenticated(c.id)) throw unauthorized();
        const id = Number(c.params.robot_id);
        const r = c.sim.s.robots.find((x) => x.id === id);
        if (!r) throw notFound(`robot ${c.params.robot_id} not found`);
        const p =
          r.level === 'project' ? projectByName(c.sim.s, r.permissions[0]?.namespace ?? '') : undefined;
        if (!(p ? can(c.sim.s, c.id, p, 'robot:delete') : isSysadmin(c.id))) deny(c);
        c.sim.s.robots = c.sim.s.robots.filter((x) => x.id !== id);
        c.sim.save();
        sendEmpty(c.res, 200);
      },
    },
    {
      method: 'POST',
      path: '/robots',
      handler: async (c) => {
        if (!isAuthenticated(c.id)) throw unauthorized();
        const parsed = RobotCreateSchema.safeParse(await readJson(c.req));
        if (!parsed.success)
          throw unprocessable([`robot in body ${parsed.error.issues[0]?.message ?? 'is invalid'}`]);
        const b = parsed.data;
        if (!PROJECT_NAME_RE.test(b.name))
          throw badRequest(`bad request: robot name is not in lower case or contains illegal characters`);
        // Harbor's checks, in its order (src/server/v2.0/handler/robot.go, validate).
        if (b.duration !== -1 && b.duration <= 0)
          throw badRequest(
            `bad request error duration input: ${b.duration}, duration must be either -1(Never) or a positive integer`,
          );
        if (b.level !== 'system' && b.level !== 'project')
          throw badRequest(`bad request error level input: ${b.level}`);
        if (b.permissions.length === 0) throw badRequest('bad request empty permission');
        if (b.permissions.some((p) => p.access.length === 0)) throw badRequest('bad request empty access');
        if (b.level === 'project' && b.permissions.length > 1) throw badRequest('bad request permission');
        for (const perm of b.permissions) {
          if (perm.kind !== 'system' && perm.kind !== 'project')
            throw badRequest(`bad request permission level: ${perm.kind}`);
          for (const a of perm.access)
            if (!robotPermissionValid(perm.kind, a.resource, a.action))
              throw badRequest(`bad request permission: ${a.resource}:${a.action}`);
        }
        let full: string;
        if (b.level === 'project') {
          const perm = b.permissions[0];
          if (!perm || perm.kind !== 'project') throw badRequest('bad request permission');
          const p = projectByName(c.sim.s, perm.namespace);
          if (!p) throw badRequest(`bad request: project ${perm.namespace} not found`);
          if (!can(c.sim.s, c.id, p, 'robot:create')) deny(c);
          full = `robot$${p.name}+${b.name}`;
        } else {
          if (!isSysadmin(c.id)) deny(c);
          full = `robot$${b.name}`;
        }
        if (c.sim.s.robots.some((r) => r.name === full))
          throw conflict(`robot account ${full} already exists`);
        const secret = b.secret ?? randomBytes(24).toString('base64url');
        const t = now();
        const expiresAt = b.duration === -1 ? -1 : Math.floor(Date.now() / 1000) + b.duration * 86400;
        const id = c.sim.store.nextId('robot');
        c.sim.s.robots.push({
          id,
          name: full,
          secretHash: hashSecret(secret),
          level: b.level,
          disabled: b.disable ?? false,
          expiresAt,
          description: b.description ?? '',
          permissions: b.permissions as RobotPermission[],
          creationTime: t,
          creatorType: c.id.kind === 'robot' ? 'robot' : 'local',
          creatorRef: c.id.kind === 'robot' ? c.id.robot.id : c.id.kind === 'user' ? c.id.user.id : 0,
        });
        c.sim.save();
        sendJson(
          c.res,
          201,
          { id, name: full, secret, creation_time: t, expires_at: expiresAt },
          { Location: `/api/v2.0/robots/${id}` },
        );
      },
    },
  ];
}
