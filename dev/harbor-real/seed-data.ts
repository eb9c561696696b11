/**
 * What the stack seeds into real Harbor: the same projects, policies and robot permissions as harbor-sim's
 * seed (dev/harbor-sim/seed.ts), in the shape of Harbor's REST API (ProjectReq.metadata, RobotCreate).
 * Robot permissions come from dev/robot-access.ts; test/real-harbor/stack.test.ts reads them back from real Harbor.
 */
import { CI_PUSH, promoterPermissions, robotAccess, type RobotAccess } from '../robot-access';
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

export interface RobotSpec {
  /** The name sent to POST /robots; Harbor prefixes it. */
  name: string;
  /** The name Harbor gives it (the login name). */
  fullName: string;
  level: 'system' | 'project';
  project?: string;
  description: string;
  permissions: { kind: 'project'; namespace: string; access: RobotAccess[] }[];
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
        access: robotAccess(CI_PUSH),
      },
    ],
  },
  {
    name: 'promoter',
    fullName: 'robot$promoter',
    level: 'system',
    description: 'promotion worker',
    // read everywhere; sign (push) and scan in dev; write where it copies to
    permissions: promoterPermissions('platform-dev', ['platform-staging', 'platform-production']),
  },
];
