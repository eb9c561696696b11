/**
 * The robot permissions the README documents, in one place: the seeds of harbor-sim and of real Harbor and the
 * suites that make their own robots all grant exactly these, so a change to what the promoter needs is made
 * once and every Harbor the tests run against agrees.
 */
export interface RobotAccess {
  resource: string;
  action: string;
  effect: 'allow';
}

/** `resource:action` pairs as Harbor's robot API takes them; a pair listed twice is sent once. */
export const robotAccess = (pairs: readonly string[]): RobotAccess[] =>
  [...new Set(pairs)].map((p) => {
    const [resource, action] = p.split(':') as [string, string];
    return { resource, action, effect: 'allow' };
  });

/** What the promoter reads in every project. */
export const PROMOTER_READ = [
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
] as const;

/** What it writes where it copies to (staging, production). */
export const PROMOTER_WRITE = [
  'repository:pull',
  'repository:push',
  'artifact:create',
  'tag:create',
  'scan:create',
] as const;

/** And in dev: it signs there (the `.sig` is a push) and starts the dev scan when auto-scan has not run. */
export const PROMOTER_SIGN = ['repository:pull', 'repository:push', 'scan:create'] as const;

/** The CI robot pushes builds to dev and reads them back. */
export const CI_PUSH = [
  'repository:pull',
  'repository:push',
  'artifact:read',
  'artifact:list',
  'artifact:create',
  'tag:create',
  'tag:list',
  'scan:read',
  'accessory:list',
] as const;

/** The promoter's permissions for a pipeline whose source is `dev` and which copies into `destinations`. */
export function promoterPermissions(
  dev: string,
  destinations: readonly string[],
): { kind: 'project'; namespace: string; access: RobotAccess[] }[] {
  return [
    { kind: 'project', namespace: '*', access: robotAccess(PROMOTER_READ) },
    { kind: 'project', namespace: dev, access: robotAccess([...PROMOTER_READ, ...PROMOTER_SIGN]) },
    ...destinations.map((namespace) => ({
      kind: 'project' as const,
      namespace,
      access: robotAccess([...PROMOTER_READ, ...PROMOTER_WRITE]),
    })),
  ];
}
