/**
 * What the stack seeds into real Harbor: the same projects, policies and robot permissions as harbor-sim's
 * seed (dev/harbor-sim/seed.ts), in the shape of Harbor's REST API (ProjectReq.metadata, RobotCreate).
 * Kept beside it by hand; test/real-harbor/stack.test.ts reads them back from real Harbor.
 */
export interface SeedProject {
  name: string;
  metadata: Record<string, string>;
}

export const SEED_PROJECTS: SeedProject[] = [
  { name: 'platform-dev', metadata: { auto_scan: 'true' } },
  { name: 'platform-staging', metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'high' } },
  {
    name: 'platform-production',
    metadata: {
      auto_scan: 'true',
      prevent_vul: 'true',
      severity: 'high',
      enable_content_trust_cosign: 'true',
    },
  },
];

interface Access {
  resource: string;
  action: string;
  effect: 'allow';
}

// Deduplicated: a pair listed twice (READ and WRITE share scan:read) is sent once.
const acc = (pairs: string[]): Access[] =>
  [...new Set(pairs)].map((p) => {
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

const WRITE = [
  'repository:pull',
  'repository:push',
  'artifact:create',
  'tag:create',
  'scan:create',
  'scan:read',
];

export interface RobotSpec {
  /** The name sent to POST /robots; Harbor prefixes it. */
  name: string;
  /** The name Harbor gives it (the login name). */
  fullName: string;
  level: 'system' | 'project';
  project?: string;
  description: string;
  permissions: { kind: 'project'; namespace: string; access: Access[] }[];
}

export const ROBOT_PERMISSIONS: RobotSpec[] = [
  {
    name: 'ci',
    fullName: 'robot$platform-dev+ci',
    level: 'project',
    project: 'platform-dev',
    description: 'CI pushes to platform-dev',
    permissions: [
      {
        kind: 'project',
        namespace: 'platform-dev',
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
  },
  {
    name: 'promoter',
    fullName: 'robot$promoter',
    level: 'system',
    description: 'promotion worker',
    permissions: [
      { kind: 'project', namespace: '*', access: acc(READ) },
      // Push and scan on dev too: the promotion signs in dev (the `.sig` is a push) before the first copy.
      {
        kind: 'project',
        namespace: 'platform-dev',
        access: acc([...READ, 'repository:pull', 'repository:push', 'scan:create']),
      },
      { kind: 'project', namespace: 'platform-staging', access: acc([...READ, ...WRITE]) },
      { kind: 'project', namespace: 'platform-production', access: acc([...READ, ...WRITE]) },
    ],
  },
];
