// The sim's whole state: one JSON document under --data, written atomically (temp file + rename).
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  fsyncSync,
  openSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface AllowlistRec {
  id: number;
  projectId: number;
  expiresAt: number | null;
  items: string[];
  creationTime: string;
  updateTime: string;
}
export interface ProjectRec {
  id: number;
  name: string;
  ownerId: number;
  creationTime: string;
  updateTime: string;
  metadata: Record<string, string>;
  allowlist: AllowlistRec;
}
export interface UserRec {
  id: number;
  username: string;
  passwordHash: string;
  sysadmin: boolean;
  email: string;
  creationTime: string;
}
/** Project membership of a user: role 1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest. */
export interface MemberRec {
  projectId: number;
  userId: number;
  roleId: number;
}
export interface RobotAccess {
  resource: string;
  action: string;
  effect?: string;
}
export interface RobotPermission {
  kind: 'project' | 'system';
  namespace: string;
  access: RobotAccess[];
}
export interface RobotRec {
  id: number;
  name: string; // full, with the robot$ prefix
  secretHash: string;
  level: 'system' | 'project';
  disabled: boolean;
  expiresAt: number; // epoch seconds, -1 never
  description: string;
  permissions: RobotPermission[];
  creationTime: string;
  /** Who created it: `local` (a user) or `robot`, and that one's id; seeded robots: the admin. */
  creatorType?: 'local' | 'robot';
  creatorRef?: number;
}
export interface RepoRec {
  id: number;
  projectId: number;
  name: string; // "P/R"
  creationTime: string;
  updateTime: string;
  pullCount: number;
}
export interface BlobRef {
  digest: string;
  size: number;
  mediaType: string;
}
export interface ArtifactRec {
  id: number;
  repositoryId: number;
  digest: string;
  manifestMediaType: string;
  mediaType: string; // config media type, or the index media type
  artifactType: string;
  type: string;
  size: number;
  pushTime: string;
  pullTime: string;
  annotations: Record<string, string>;
  extraAttrs: Record<string, unknown>;
  config: BlobRef | null;
  layers: BlobRef[];
  children: { digest: string; platform?: Record<string, unknown>; annotations?: Record<string, string> }[];
  subjectDigest: string | null;
}
export interface TagRec {
  id: number;
  repositoryId: number;
  artifactId: number;
  name: string;
  pushTime: string;
  pullTime: string;
}
export interface AccessoryRec {
  id: number;
  artifactId: number;
  subjectArtifactId: number;
  type: string;
  creationTime: string;
}
export interface VulnRec {
  id: string;
  package: string;
  version: string;
  fix_version: string;
  severity: string; // title case
  description: string;
  links: string[];
  score: number;
}
export type ScanStatus = 'Pending' | 'Scheduled' | 'Running' | 'Success' | 'Error' | 'Stopped';
export interface ReportRec {
  digest: string;
  reportId: string;
  status: ScanStatus;
  startTime: string | null;
  endTime: string | null;
  createdAt: string;
  vulnerabilities: VulnRec[];
  log: string[];
  /** which repository to read blobs from while scanning */
  repository: string;
}
export interface State {
  version: 1;
  tokenKey: string;
  seq: Record<string, number>;
  systemAllowlist: AllowlistRec;
  projects: ProjectRec[];
  users: UserRec[];
  members: MemberRec[];
  robots: RobotRec[];
  repositories: RepoRec[];
  artifacts: ArtifactRec[];
  tags: TagRec[];
  accessories: AccessoryRec[];
  reports: ReportRec[];
}

export const ZERO_TIME = '0001-01-01T00:00:00.000Z';
export const now = (): string => new Date().toISOString();

export function emptyState(tokenKey: string): State {
  const t = now();
  return {
    version: 1,
    tokenKey,
    seq: {},
    systemAllowlist: { id: 1, projectId: 0, expiresAt: null, items: [], creationTime: t, updateTime: t },
    projects: [],
    users: [],
    members: [],
    robots: [],
    repositories: [],
    artifacts: [],
    tags: [],
    accessories: [],
    reports: [],
  };
}

export class Store {
  private readonly file: string;
  constructor(
    readonly dir: string,
    public state: State,
  ) {
    this.file = join(dir, 'state.json');
  }

  static open(dir: string, makeEmpty: () => State): Store {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'state.json');
    const state = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : makeEmpty();
    return new Store(dir, state);
  }

  nextId(kind: string): number {
    const n = (this.state.seq[kind] ?? 0) + 1;
    this.state.seq[kind] = n;
    return n;
  }

  private dirty = false;
  private flushQueued = false;
  private nextFlushAt = 0;
  private readonly afterFlush: (() => void)[] = [];

  /**
   * Marks the state changed; it is written once for all the changes made in this turn of the event loop,
   * or, right after a slow write, in the next three times its duration (group commit). Writing the whole state on each change cost 12 ms of JSON alone at 3,600 artifacts, and
   * a bulk drain makes hundreds of changes a second. A response is held until its changes are on disk
   * (server.ts, `whenSaved`), so a crash right after a response still loses nothing.
   */
  save(): void {
    this.dirty = true;
    if (this.flushQueued) return;
    this.flushQueued = true;
    const wait = this.nextFlushAt - Date.now();
    if (wait > 0) setTimeout(() => this.flush(), wait);
    else setImmediate(() => this.flush());
  }

  /** Runs `done` once every change made so far is on disk (at once when nothing is pending). */
  whenSaved(done: () => void): void {
    if (this.dirty) this.afterFlush.push(done);
    else done();
  }

  /** Atomic write: temp file, fsync, rename. Synchronous, so nothing changes the state while it is written. */
  flush(): void {
    this.flushQueued = false;
    if (this.dirty) {
      const t0 = Date.now();
      this.dirty = false;
      const tmp = `${this.file}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeFileSync(fd, JSON.stringify(this.state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      // Writing at most a quarter of the time: under a burst, later changes wait and share one write.
      this.nextFlushAt = Date.now() + 3 * (Date.now() - t0);
    }
    for (const done of this.afterFlush.splice(0)) done();
  }
}
