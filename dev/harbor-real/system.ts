/**
 * PostgreSQL and Redis for real Harbor come from Debian packages (postgresql, redis-server). This finds their
 * binaries, installs the packages with apt-get when they are missing (as .ci/run does for chromium; only as
 * root, otherwise it says which command to run), and runs PostgreSQL as its own user when we are root,
 * because initdb and postgres refuse to run as root.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SystemBinaries {
  initdb: string;
  postgres: string;
  psql: string;
  redisServer: string;
}

const PACKAGES = { postgres: 'postgresql', redis: 'redis-server' } as const;

/** The newest /usr/lib/postgresql/<major>/bin that has initdb and postgres (Debian's layout). */
function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const bin = join(root, m, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

function findRedis(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
}

export const isRoot = () => process.getuid?.() === 0;

/**
 * Finds PostgreSQL and Redis, installing the Debian packages that are missing. `redis: false` (Temporal on
 * PostgreSQL without real Harbor) needs PostgreSQL only; `redisServer` is then empty when Redis is absent.
 */
export async function ensureSystemPackages(
  say: (line: string) => void,
  { redis = true, who = 'real Harbor' }: { redis?: boolean; who?: string } = {},
): Promise<SystemBinaries> {
  const missing: string[] = [];
  if (!findPostgresBin()) missing.push(PACKAGES.postgres);
  if (redis && !findRedis()) missing.push(PACKAGES.redis);
  if (missing.length > 0) {
    if (!isRoot()) {
      throw new Error(
        `${who} needs the Debian packages ${missing.join(' and ')}: run \`sudo apt-get install -y ${missing.join(' ')}\` and try again`,
      );
    }
    say(`harbor-real: installing ${missing.join(', ')} with apt-get …`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      env,
      maxBuffer: 64 << 20,
    });
  }
  const pgBin = findPostgresBin();
  const redisServer = findRedis();
  if (!pgBin || (redis && !redisServer))
    throw new Error(`${who}: PostgreSQL or Redis still missing after apt-get`);
  return {
    initdb: join(pgBin, 'initdb'),
    postgres: join(pgBin, 'postgres'),
    psql: join(pgBin, 'psql'),
    redisServer: redisServer ?? '',
  };
}

/** The user PostgreSQL runs as: ourselves, or Debian's `postgres` user when we are root. */
export const PG_SYSTEM_USER = 'postgres';

/** Wraps a command so it runs as the postgres user when we are root (setpriv execs: the PID stays the same). */
export function asPostgresUser(command: string, args: string[]): { command: string; args: string[] } {
  if (!isRoot()) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${PG_SYSTEM_USER}`, `--regid=${PG_SYSTEM_USER}`, '--init-groups', '--', command, ...args],
  };
}

/** chown to the postgres user when we are root (its data directory must belong to it). */
export async function chownToPostgres(path: string): Promise<void> {
  if (isRoot()) await run('chown', ['-R', `${PG_SYSTEM_USER}:${PG_SYSTEM_USER}`, path]);
}

export async function runAsPostgres(command: string, args: string[], env?: NodeJS.ProcessEnv) {
  const w = asPostgresUser(command, args);
  return run(w.command, w.args, { env: env ?? process.env, maxBuffer: 16 << 20 });
}
