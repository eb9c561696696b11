// Who may do what: Harbor's project roles, robot permissions and public-project reads.
import type { ProjectRec, RobotRec, State, UserRec } from './store';

export const ROLE = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;

const GUEST = [
  'project:read',
  'repository:list',
  'repository:read',
  'repository:pull',
  'artifact:read',
  'artifact:list',
  'tag:list',
  'accessory:list',
  'artifact-addition:read',
  'scan:read',
  'metadata:read',
  'member:read',
  'scanner:read',
];
const LIMITED_GUEST = GUEST.filter(
  (p) => p !== 'member:read' && p !== 'repository:list' && p !== 'artifact:list',
);
const DEVELOPER = [
  ...GUEST,
  'repository:push',
  'artifact:create',
  'tag:create',
  'scan:create',
  'sbom:create',
  'repository:update',
];
const MAINTAINER = [
  ...DEVELOPER,
  'artifact:delete',
  'tag:delete',
  'repository:delete',
  'scan:stop',
  'sbom:stop',
];
const PROJECT_ADMIN = [
  ...MAINTAINER,
  'project:update',
  'project:delete',
  'metadata:create',
  'metadata:update',
  'metadata:delete',
  'member:create',
  'member:update',
  'member:delete',
  'robot:create',
  'robot:read',
];
/** Every project-level `resource:action` the sim knows (what GET /users/current/permissions enumerates). */
export const PROJECT_PERMISSIONS: readonly string[] = PROJECT_ADMIN;
const ROLE_PERMS: Record<number, Set<string>> = {
  1: new Set(PROJECT_ADMIN),
  2: new Set(DEVELOPER),
  3: new Set(GUEST),
  4: new Set(MAINTAINER),
  5: new Set(LIMITED_GUEST),
};
/** What anyone, anonymous included, may do in a public project: a guest's reads without members and scanners. */
const PUBLIC = new Set(GUEST.filter((p) => p !== 'member:read' && p !== 'scanner:read'));

export type Identity =
  { kind: 'anonymous' } | { kind: 'user'; user: UserRec } | { kind: 'robot'; robot: RobotRec };

export const isAuthenticated = (id: Identity): boolean => id.kind !== 'anonymous';
export const isSysadmin = (id: Identity): boolean => id.kind === 'user' && id.user.sysadmin;
export const displayName = (id: Identity): string =>
  id.kind === 'user' ? id.user.username : id.kind === 'robot' ? id.robot.name : 'anonymous';

export function roleIds(state: State, id: Identity, project: ProjectRec): number[] {
  if (id.kind !== 'user') return [];
  return state.members
    .filter((m) => m.projectId === project.id && m.userId === id.user.id)
    .map((m) => m.roleId);
}

function robotCan(robot: RobotRec, project: ProjectRec | null, perm: string): boolean {
  const [resource, action] = perm.split(':');
  return robot.permissions.some((p) => {
    const scopeOk =
      project === null
        ? p.kind === 'system'
        : p.kind === 'project' && (p.namespace === '*' || p.namespace === project.name);
    return (
      scopeOk &&
      p.access.some(
        (a) => a.resource === resource && (a.action === action || a.action === '*') && a.effect !== 'deny',
      )
    );
  });
}

/** `perm` is "resource:action". `project` null means a system-level permission. */
export function can(state: State, id: Identity, project: ProjectRec | null, perm: string): boolean {
  if (isSysadmin(id)) return true;
  if (project && project.metadata.public === 'true' && PUBLIC.has(perm)) return true;
  if (id.kind === 'robot') return robotCan(id.robot, project, perm);
  if (id.kind === 'user' && project)
    return roleIds(state, id, project).some((r) => ROLE_PERMS[r]?.has(perm) ?? false);
  return false;
}
