/**
 * Seeds real Harbor through its own REST API with what harbor-sim's seed makes (dev/harbor-sim/seed.ts):
 * the three platform projects and their policies, the CI robot (project robot of platform-dev), the promoter
 * robot (system robot), the guest user as guest member of the three projects, and the scanner adapter as
 * the default scanner. Idempotent: run on every `stack up`; existing things are brought back to the seed's
 * policy and secrets. Real Harbor ignores `secret` in POST /robots, so secrets are set with
 * PATCH /robots/{id} {"secret": …}.
 */
import { z } from 'zod';
import { ROBOT_PERMISSIONS, SEED_PROJECTS } from './seed-data';

type Say = (line: string) => void;

export interface SeedInput {
  url: string;
  adminPassword: string;
  ciSecret: string;
  promoterSecret: string;
  guestPassword: string;
  /** The adapter's URL as Harbor reaches it; undefined when the stack runs no scanner adapter. */
  scannerUrl?: string;
}

class HarborAdmin {
  constructor(
    private readonly base: string,
    private readonly password: string,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(`${this.base}/api/v2.0${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${this.password}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** Calls and fails with Harbor's message unless the status is one of `ok`. */
  async expect(method: string, path: string, ok: number[], body?: unknown) {
    const r = await this.call(method, path, body);
    if (!ok.includes(r.status)) {
      throw new Error(`seeding real Harbor: ${method} ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
    }
    return r;
  }

  async json<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const r = await this.expect('GET', path, [200]);
    return schema.parse(JSON.parse(r.text));
  }
}

const RobotList = z.array(z.object({ id: z.number(), name: z.string() })).nullable();
const ScannerList = z
  .array(
    z.object({ uuid: z.string(), name: z.string(), url: z.string(), is_default: z.boolean().optional() }),
  )
  .nullable();
const UserList = z.array(z.object({ user_id: z.number(), username: z.string() })).nullable();
const MemberList = z
  .array(z.object({ id: z.number(), entity_name: z.string(), role_id: z.number() }))
  .nullable();

const GUEST_ROLE = 3;
export const SCANNER_NAME = 'harbor-promote scanner adapter';

async function ensureProjects(h: HarborAdmin, say: Say): Promise<void> {
  for (const p of SEED_PROJECTS) {
    const exists = await h.call('HEAD', `/projects?project_name=${encodeURIComponent(p.name)}`);
    const metadata = { public: 'false', ...p.metadata };
    if (exists.status === 404) {
      await h.expect('POST', '/projects', [201], { project_name: p.name, metadata, storage_limit: -1 });
      say(`seed: project ${p.name} created (${describe(p.metadata)})`);
    } else {
      await h.expect('PUT', `/projects/${p.name}`, [200], { metadata });
    }
  }
}

const describe = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

async function ensureRobot(
  h: HarborAdmin,
  say: Say,
  spec: (typeof ROBOT_PERMISSIONS)[number],
  secret: string,
): Promise<void> {
  // GET /robots without a query lists system robots only; project robots are found by their project's id.
  const q =
    spec.level === 'system'
      ? 'Level=system'
      : `Level=project,ProjectID=${(await h.json(`/projects/${spec.project}`, z.object({ project_id: z.number() }))).project_id}`;
  const list = await h.json(`/robots?page_size=100&q=${encodeURIComponent(q)}`, RobotList);
  let robot = (list ?? []).find((r) => r.name === spec.fullName);
  if (!robot) {
    const created = await h.expect('POST', '/robots', [201], {
      name: spec.name,
      level: spec.level,
      duration: -1,
      description: spec.description,
      disable: false,
      permissions: spec.permissions,
    });
    robot = z.object({ id: z.number(), name: z.string() }).parse(JSON.parse(created.text));
    if (robot.name !== spec.fullName) {
      throw new Error(`seeding real Harbor: robot created as ${robot.name}, expected ${spec.fullName}`);
    }
    say(`seed: robot ${robot.name} created`);
  }
  await h.expect('PATCH', `/robots/${robot.id}`, [200], { secret });
}

async function ensureGuest(h: HarborAdmin, say: Say, password: string): Promise<void> {
  const users = await h.json(`/users?q=${encodeURIComponent('username=guest')}`, UserList);
  const guest = (users ?? []).find((u) => u.username === 'guest');
  if (!guest) {
    await h.expect('POST', '/users', [201], {
      username: 'guest',
      email: 'guest@example.com',
      realname: 'guest',
      password,
      comment: 'stack guest',
    });
    say('seed: user guest created');
  } else {
    // Keeps the stack's guest password when the secret file was replaced.
    await h.expect('PUT', `/users/${guest.user_id}/password`, [200, 400], { new_password: password });
  }
  for (const p of SEED_PROJECTS) {
    const members = await h.json(`/projects/${p.name}/members?entityname=guest`, MemberList);
    if (!(members ?? []).some((m) => m.entity_name === 'guest')) {
      await h.expect('POST', `/projects/${p.name}/members`, [201], {
        role_id: GUEST_ROLE,
        member_user: { username: 'guest' },
      });
    }
  }
}

async function ensureScanner(h: HarborAdmin, say: Say, url: string): Promise<void> {
  const list = (await h.json('/scanners?page_size=100', ScannerList)) ?? [];
  let scanner = list.find((s) => s.name === SCANNER_NAME);
  const body = { name: SCANNER_NAME, url, auth: '', description: 'dev/scanner-adapter (apk advisories)' };
  if (!scanner) {
    const created = await h.expect('POST', '/scanners', [201], body);
    const uuid = /\/scanners\/([^/]+)$/.exec(created.headers.get('location') ?? '')?.[1];
    if (!uuid) throw new Error('seeding real Harbor: POST /scanners answered without a Location header');
    scanner = { uuid, name: SCANNER_NAME, url };
    say(`seed: scanner adapter registered (${url})`);
  } else if (scanner.url !== url) {
    await h.expect('PUT', `/scanners/${scanner.uuid}`, [200], body);
  }
  if (!scanner.is_default) await h.expect('PATCH', `/scanners/${scanner.uuid}`, [200], { is_default: true });
}

/** Harbor's rule for passwords and robot secrets (controller/robot IsValidSec, user passwords alike). */
export function harborAcceptsSecret(value: string): boolean {
  return (
    value.length >= 8 && value.length <= 128 && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value)
  );
}

export async function seedRealHarbor(input: SeedInput, say: Say = console.log): Promise<void> {
  // A stack directory first made by an older harbor-promote may hold secrets Harbor refuses.
  for (const [name, value] of [
    ['ci-secret', input.ciSecret],
    ['promoter-secret', input.promoterSecret],
    ['guest-password', input.guestPassword],
  ] as const) {
    if (!harborAcceptsSecret(value)) {
      throw new Error(
        `the stack's ${name} has no upper-case letter, lower-case letter or digit, which real Harbor requires: ` +
          `delete the stack directory's secrets/${name} (or the whole stack directory after \`npm run stack -- down\`) and run up again`,
      );
    }
  }
  const h = new HarborAdmin(input.url, input.adminPassword);
  await ensureProjects(h, say);
  const [ci, promoter] = ROBOT_PERMISSIONS;
  await ensureRobot(h, say, ci!, input.ciSecret);
  await ensureRobot(h, say, promoter!, input.promoterSecret);
  await ensureGuest(h, say, input.guestPassword);
  if (input.scannerUrl) await ensureScanner(h, say, input.scannerUrl);
  else say('seed: no scanner adapter in this checkout (dev/scanner-adapter/main.ts): Harbor has no scanner');
}
