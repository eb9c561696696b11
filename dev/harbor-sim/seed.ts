// First-start seed (idempotent): the three platform projects, admin, CI robot, promoter robot, guest.
import { CI_PUSH, promoterPermissions, robotAccess } from '../robot-access';
import { hashSecret } from './auth';
import type { ProjectRec, RobotPermission, Store } from './store';
import { now } from './store';
import { ROLE } from './rbac';

/** Dev defaults; override through the environment. Never logged. */
export function seedSecrets(env: NodeJS.ProcessEnv = process.env): {
  admin: string;
  ci: string;
  promoter: string;
  guest: string;
} {
  return {
    admin: env.HARBOR_SIM_ADMIN_PASSWORD || 'Harbor12345',
    ci: env.HARBOR_SIM_CI_SECRET || 'CiSecret12345',
    promoter: env.HARBOR_SIM_PROMOTER_SECRET || 'PromoterSecret12345',
    guest: env.HARBOR_SIM_GUEST_PASSWORD || 'Guest12345',
  };
}

export function seed(store: Store): void {
  const s = store.state;
  const t = now();
  const secrets = seedSecrets();
  if (!s.users.some((u) => u.username === 'admin')) {
    s.users.push({
      id: store.nextId('user'),
      username: 'admin',
      passwordHash: hashSecret(secrets.admin),
      sysadmin: true,
      email: 'admin@example.com',
      creationTime: t,
    });
  }
  const admin = s.users.find((u) => u.username === 'admin')!;
  const mk = (name: string, metadata: Record<string, string>): ProjectRec => {
    let p = s.projects.find((x) => x.name === name);
    if (!p) {
      const id = store.nextId('project');
      p = {
        id,
        name,
        ownerId: admin.id,
        creationTime: t,
        updateTime: t,
        metadata: { public: 'false', ...metadata },
        allowlist: {
          id: store.nextId('allowlist') + 1,
          projectId: id,
          expiresAt: null,
          items: [],
          creationTime: t,
          updateTime: t,
        },
      };
      s.projects.push(p);
      s.members.push({ projectId: id, userId: admin.id, roleId: ROLE.projectAdmin });
    }
    return p;
  };
  const dev = mk('platform-dev', { auto_scan: 'true' });
  const staging = mk('platform-staging', { auto_scan: 'true', prevent_vul: 'true', severity: 'high' });
  const prod = mk('platform-production', {
    auto_scan: 'true',
    prevent_vul: 'true',
    severity: 'high',
    enable_content_trust_cosign: 'true',
  });

  const robot = (
    name: string,
    level: 'system' | 'project',
    secret: string,
    permissions: RobotPermission[],
    description: string,
  ): void => {
    if (s.robots.some((r) => r.name === name)) return;
    s.robots.push({
      id: store.nextId('robot'),
      name,
      secretHash: hashSecret(secret),
      level,
      disabled: false,
      expiresAt: -1,
      description,
      permissions,
      creationTime: t,
    });
  };
  robot(
    'robot$platform-dev+ci',
    'project',
    secrets.ci,
    [
      {
        kind: 'project',
        namespace: dev.name,
        access: robotAccess(CI_PUSH),
      },
    ],
    'CI pushes to platform-dev',
  );
  robot(
    'robot$promoter',
    'system',
    secrets.promoter,
    // read everywhere; sign (push) and scan in dev; write where it copies to
    promoterPermissions(dev.name, [staging.name, prod.name]),
    'promotion worker',
  );
  if (!s.users.some((u) => u.username === 'guest')) {
    const id = store.nextId('user');
    s.users.push({
      id,
      username: 'guest',
      passwordHash: hashSecret(secrets.guest),
      sysadmin: false,
      email: 'guest@example.com',
      creationTime: t,
    });
    for (const p of [dev, staging, prod]) s.members.push({ projectId: p.id, userId: id, roleId: ROLE.guest });
  }
}
