/**
 * The suite's own Harbor objects: uniquely named projects (`hpc<time><random>-<role>`) and robots, created
 * through Harbor's REST API as the admin and deleted afterwards (repositories first: Harbor refuses to
 * delete a project that still holds any). Nothing outside these names is touched.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HarborHttpError, type HarborConnection } from '../../src/harbor/index';
import type { ConformanceTarget, Creds } from './target';

/** POST /robots answers RobotCreated (harbor-api.md §1); the client itself never creates robots. */
const RobotCreated = z.looseObject({ id: z.number(), name: z.string(), secret: z.string() });
const RepositoryList = z.array(z.looseObject({ name: z.string() })).nullable();

export type Access = `${string}:${string}`;

export class Fixture {
  /** Lower-case, starts with a letter, unique per run. */
  readonly id = `hpc${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private readonly projects: string[] = [];
  private readonly robots: { id: number; name: string }[] = [];

  constructor(
    private readonly t: ConformanceTarget,
    private readonly admin: HarborConnection,
  ) {}

  async project(role: string, metadata: Record<string, string>): Promise<string> {
    const name = `${this.id}-${role}`;
    await this.admin.request({
      method: 'POST',
      template: '/projects',
      body: { project_name: name, metadata: { public: 'false', ...metadata } },
    });
    this.projects.push(name);
    return name;
  }

  /** A system robot with project permissions; `permissions` maps project → resource:action pairs. */
  async robot(role: string, permissions: Record<string, Access[]>): Promise<Creds> {
    const res = await this.admin.request({
      method: 'POST',
      template: '/robots',
      body: this.robotBody(role, permissions),
    });
    const created = RobotCreated.parse(JSON.parse(res.body));
    this.robots.push({ id: created.id, name: created.name });
    return { username: created.name, password: created.secret };
  }

  robotBody(role: string, permissions: Record<string, Access[]>): object {
    return {
      name: `${this.id}-${role}`,
      description: 'harbor-promote conformance suite (deleted when the suite ends)',
      level: 'system',
      duration: -1,
      permissions: Object.entries(permissions).map(([namespace, pairs]) => ({
        kind: 'project',
        namespace,
        access: pairs.map((p) => {
          const [resource, action] = p.split(':');
          return { resource, action, effect: 'allow' };
        }),
      })),
    };
  }

  /** Deletes every robot and project this fixture made; returns what could not be deleted. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    for (const r of this.robots)
      await attempt(`delete robot ${r.name}`, () =>
        this.admin.request({
          method: 'DELETE',
          template: '/robots/{robot_id}',
          params: { robot_id: String(r.id) },
        }),
      );
    for (const p of this.projects) {
      await attempt(`delete repositories of ${p}`, async () => {
        const res = await this.admin.request({
          method: 'GET',
          template: '/projects/{project_name}/repositories',
          params: { project_name: p },
          query: { page_size: 100 },
        });
        for (const repo of RepositoryList.parse(JSON.parse(res.body)) ?? [])
          await this.admin.request({
            method: 'DELETE',
            template: '/projects/{project_name}/repositories/{repository_name}',
            params: { project_name: p, repository_name: repo.name.slice(p.length + 1) },
          });
      });
      await attempt(`delete project ${p}`, () =>
        this.admin.request({
          method: 'DELETE',
          template: '/projects/{project_name_or_id}',
          params: { project_name_or_id: p },
          headers: { 'x-is-resource-name': 'true' },
        }),
      );
    }
    return problems;
  }
}

/** Runs `fn`, which must fail with a Harbor HTTP error; returns that error. */
export async function harborError(fn: () => Promise<unknown>): Promise<HarborHttpError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof HarborHttpError) return err;
    throw err;
  }
  throw new Error('expected Harbor to refuse, but it answered 2xx');
}

/**
 * A copy, asked once more after a second when Harbor answers 500: Harbor v2.15.2 intermittently fails a
 * copy with "cannot get the ORM from context" (goharbor/harbor#23247: its registry client's readonly check
 * loads config without the request's database context when its cache has expired; logged by core, the
 * response only says "internal server error"). The copy activity retries a 5xx the same way, and a copy
 * of an artifact already there succeeds, so asking again changes nothing else. Refusals (4xx) pass through.
 */
export async function copyArtifact(
  api: { copyArtifact(project: string, repository: string, from: string): Promise<unknown> },
  project: string,
  repository: string,
  from: string,
): Promise<void> {
  try {
    await api.copyArtifact(project, repository, from);
  } catch (err) {
    if (!(err instanceof HarborHttpError && err.status === 500)) throw err;
    await new Promise((r) => setTimeout(r, 1_000));
    await api.copyArtifact(project, repository, from);
  }
}
