// First-start seed (idempotent): the three platform projects, admin, CI robot, promoter robot, guest.
import { hashSecret } from './auth';
import type { ProjectRec, RobotAccess, RobotPermission, Store } from './store';
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

const acc = (pairs: string[]): RobotAccess[] =>
  pairs.map((p) => {
    const [resource, action] = p.split(':') as [string, string];
    return { resource, action, effect: 'allow' };
  });

const READ = [
  'project:read',
  'repository:list',
  'repository:read',
  'artifact:read',
  'artifact:list',
  'tag:list',
  'accessory:list',
  'artifact-addition:read',
  'scan:read',
  'metadata:read',
  'scanner:read',
];

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
        access: acc([
          'repository:pull',
          'repository:push',
          'artifact:read',
          'artifact:list',
          'artifact:create',
          'tag:create',
          'tag:list',
          'scan:read',
          'accessory:list',
        ]),
      },
    ],
    'CI pushes to platform-dev',
  );
  const write = [
    'repository:pull',
    'repository:push',
    'artifact:create',
    'tag:create',
    'scan:create',
    'scan:read',
  ];
  robot(
    'robot$promoter',
    'system',
    secrets.promoter,
    [
      { kind: 'project', namespace: '*', access: acc(READ) },
      // Push and scan on dev too: the promotion signs in dev (the `.sig` is a push) before the first copy,
      // and triggers the dev scan when auto-scan has not run. Nothing else is written to dev.
      {
        kind: 'project',
        namespace: dev.name,
        access: acc([...READ, 'repository:pull', 'repository:push', 'scan:create']),
      },
      { kind: 'project', namespace: staging.name, access: acc([...READ, ...write]) },
      { kind: 'project', namespace: prod.name, access: acc([...READ, ...write]) },
    ],
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
