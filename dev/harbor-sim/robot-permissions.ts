// The resource:action pairs Harbor v2.15.2 accepts in a robot's permissions, per kind. Copied from
// src/common/rbac/const.go of the v2.15.2 source (PoliciesMap plus NolimitProvider's additions, which is the
// provider GetPermissionProvider returns); POST /robots answers 400 `bad request permission: <r>:<a>`
// for anything else (src/server/v2.0/handler/robot.go, validate). Matching is exact: no `*`.
const SYSTEM: Record<string, string[]> = {
  'audit-log': ['list'],
  'preheat-instance': ['read', 'create', 'delete', 'list', 'update'],
  project: ['list', 'create'],
  'replication-policy': ['read', 'create', 'delete', 'list', 'update'],
  replication: ['read', 'create', 'list'],
  'replication-adapter': ['list'],
  registry: ['read', 'create', 'delete', 'list', 'update'],
  'scan-all': ['read', 'update', 'stop', 'create'],
  'system-volumes': ['read'],
  'garbage-collection': ['read', 'create', 'list', 'update', 'stop'],
  'purge-audit': ['read', 'create', 'list', 'update', 'stop'],
  'jobservice-monitor': ['list', 'stop'],
  scanner: ['read', 'create', 'delete', 'list', 'update'],
  label: ['read', 'create', 'delete', 'update'],
  'security-hub': ['read', 'list'],
  catalog: ['read'],
  quota: ['read', 'list', 'update'],
  robot: ['create', 'read', 'list', 'delete'],
  user: ['create', 'read', 'update', 'list', 'delete'],
  'ldap-user': ['create', 'list'],
  'user-group': ['create', 'read', 'update', 'list', 'delete'],
};

const PROJECT: Record<string, string[]> = {
  log: ['list'],
  project: ['read', 'delete', 'update'],
  metadata: ['read', 'create', 'delete', 'list', 'update'],
  repository: ['read', 'update', 'delete', 'list', 'pull', 'push'],
  artifact: ['read', 'create', 'list', 'delete'],
  scan: ['create', 'read', 'stop'],
  sbom: ['create', 'stop', 'read'],
  tag: ['create', 'list', 'delete'],
  accessory: ['list'],
  'artifact-addition': ['read'],
  'artifact-label': ['create', 'delete'],
  scanner: ['create', 'read'],
  'preheat-policy': ['read', 'create', 'delete', 'list', 'update'],
  'immutable-tag': ['create', 'delete', 'list', 'update'],
  'notification-policy': ['read', 'create', 'delete', 'list', 'update'],
  'tag-retention': ['read', 'create', 'delete', 'list', 'update'],
  label: ['read', 'create', 'delete', 'list', 'update'],
  quota: ['read'],
  robot: ['create', 'read', 'list', 'delete'],
  'export-cve': ['create', 'read'],
  member: ['create', 'read', 'update', 'list', 'delete'],
};

export function robotPermissionValid(kind: 'system' | 'project', resource: string, action: string): boolean {
  const table = kind === 'system' ? SYSTEM : PROJECT;
  return Object.hasOwn(table, resource) && (table[resource] ?? []).includes(action);
}
