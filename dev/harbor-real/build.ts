/**
 * Builds Harbor v2.15.2 core and jobservice from source into the per-user tools cache, the way
 * scripts/tools.ts builds the pinned tools: reused when the directory's stamp names exactly what was built,
 * otherwise built into a temporary directory and renamed into place, so an interrupted build leaves nothing
 * half-made. Layout of the result (`~/.cache/harbor-promote/tools/harbor-v2.15.2/`):
 *
 *   bin/harbor_core, bin/harbor_jobservice, bin/stack-htpasswd   the binaries
 *   home/{views,migrations,icons}                                core's working directory, as in its image
 *
 * Source: `HARBOR_SRC` (a release tarball or a `git clone --branch v2.15.2` checkout of goharbor/harbor),
 * default `../shared/harbor/harbor-v2.15.2-src.tar.gz` beside the repository.
 * Steps (../shared/reference/real-harbor.md): go-swagger v0.33.1 (`go install`, cached itself), `swagger
 * generate server` with the Makefile's gen_apis flags, go.pinniped.dev replaced by ./pinniped-pkce (the
 * module proxy refuses it), jobservice patched to listen on 127.0.0.1 only, `go build` with the version
 * ldflags.
 *
 *   tsx dev/harbor-real/build.ts        build when needed (progress on stderr)
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, checkGo } from '../../scripts/tools';

const execFileP = promisify(execFile);

export const HARBOR_VERSION = 'v2.15.2';
export const SWAGGER_VERSION = 'v0.33.1';
/** Bump when the build steps change, so every cache rebuilds. */
const RECIPE = 2;
const MIN_GO = '1.26.4'; // Harbor v2.15.2 src/go.mod `go` line
const REPO_ROOT = resolve(__dirname, '..', '..');
const HERE = __dirname;
/** Known commit of the shared tarball (it carries no .git). */
const TARBALL_COMMITS: Record<string, string> = {
  '5d11a6a5aac8111487ed1eb23c10e2000077d879e791db31c12bd40e6a5219f1': '080b0220',
};

export interface HarborBuild {
  dir: string;
  core: string;
  jobservice: string;
  htpasswd: string;
  home: string;
}

export function harborDir(env = process.env): string {
  return join(cacheRoot(env), `harbor-${HARBOR_VERSION}`);
}

export function harborBuild(env = process.env): HarborBuild {
  const dir = harborDir(env);
  return {
    dir,
    core: join(dir, 'bin', 'harbor_core'),
    jobservice: join(dir, 'bin', 'harbor_jobservice'),
    htpasswd: join(dir, 'bin', 'stack-htpasswd'),
    home: join(dir, 'home'),
  };
}

export function harborSource(env = process.env): string {
  return resolve(
    REPO_ROOT,
    env.HARBOR_SRC || join('..', 'shared', 'harbor', `harbor-${HARBOR_VERSION}-src.tar.gz`),
  );
}

const say = (line: string) => process.stderr.write(`harbor: ${line}\n`);

function sha256File(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => done(h.digest('hex')))
      .on('error', fail);
  });
}

/** Hash of every file under a directory (names and contents), for the stamp of our own Go sources. */
function sha256Tree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(`${p.slice(dir.length)}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

interface Source {
  kind: 'tarball' | 'checkout';
  path: string;
  id: string;
  commit: string;
}

async function describeSource(path: string): Promise<Source> {
  if (!existsSync(path)) {
    throw new Error(
      `Harbor source not found at ${path}: set HARBOR_SRC to a harbor-${HARBOR_VERSION}-src.tar.gz or to a ` +
        `checkout (git clone --branch ${HARBOR_VERSION} https://github.com/goharbor/harbor)`,
    );
  }
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'src', 'go.mod')) || !existsSync(join(path, 'api', 'v2.0', 'swagger.yaml'))) {
      throw new Error(`HARBOR_SRC=${path} is not a Harbor checkout (no src/go.mod or api/v2.0/swagger.yaml)`);
    }
    const version = readFileSync(join(path, 'VERSION'), 'utf8').trim();
    if (version !== HARBOR_VERSION) {
      throw new Error(`HARBOR_SRC=${path} is Harbor ${version}; check out ${HARBOR_VERSION}`);
    }
    const commit = await execFileP('git', ['-C', path, 'rev-parse', 'HEAD']).then(
      (r) => r.stdout.trim(),
      () => 'unknown',
    );
    return { kind: 'checkout', path, id: commit, commit: commit.slice(0, 8) };
  }
  const sha = await sha256File(path);
  return { kind: 'tarball', path, id: sha, commit: TARBALL_COMMITS[sha] ?? sha.slice(0, 8) };
}

async function stampOf(src: Source): Promise<string> {
  return JSON.stringify({
    recipe: RECIPE,
    version: HARBOR_VERSION,
    swagger: SWAGGER_VERSION,
    source: src.kind,
    id: src.id,
    pkce: sha256Tree(join(HERE, 'pinniped-pkce')),
    htpasswd: sha256Tree(join(HERE, 'htpasswd')),
  });
}

function isComplete(b: HarborBuild): boolean {
  return [b.core, b.jobservice, b.htpasswd, join(b.home, 'views'), join(b.home, 'migrations')].every((p) =>
    existsSync(p),
  );
}

/** Runs a command with progress every 20 s; throws with the tail of its output on failure. */
async function step(
  what: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const started = Date.now();
  say(`${what} …`);
  const ticker = setInterval(
    () => say(`  … still ${what} (${Math.round((Date.now() - started) / 1000)}s)`),
    20_000,
  );
  let out = '';
  const code = await new Promise<number>((done) => {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    child.on('close', (c) => done(c ?? 1));
    child.on('error', () => done(127));
  });
  clearInterval(ticker);
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${out.slice(-4000)}`);
  say(`  done in ${Math.round((Date.now() - started) / 1000)}s`);
}

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' });

/** go-swagger at the Makefile's SWAGGER_VERSION, cached like a pinned tool. */
async function ensureSwagger(): Promise<string> {
  const dir = join(cacheRoot(), `go-swagger-${SWAGGER_VERSION}`);
  const bin = join(dir, 'swagger');
  const stamp = join(dir, '.stamp');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === SWAGGER_VERSION) return bin;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await step(
      `building go-swagger ${SWAGGER_VERSION} (go install)`,
      'go',
      ['install', `github.com/go-swagger/go-swagger/cmd/swagger@${SWAGGER_VERSION}`],
      { env: { ...goEnv(), GOBIN: tmp } },
    );
    writeFileSync(join(tmp, '.stamp'), SWAGGER_VERSION);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** Unpacks a tarball or copies a checkout's build inputs into `tree` (a scratch dir). */
async function stageSource(src: Source, tree: string): Promise<void> {
  if (src.kind === 'tarball') {
    await step('unpacking the source', 'tar', ['-xzf', src.path, '-C', tree, '--strip-components=1']);
    return;
  }
  say('copying the source …');
  for (const p of ['src', 'api', 'make/migrations', 'tools/swagger', 'icons', 'VERSION']) {
    cpSync(join(src.path, p), join(tree, p), { recursive: true });
  }
  // A checkout may hold generated code from an earlier `make gen_apis`: regenerate from the spec.
  rmSync(join(tree, 'src', 'server', 'v2.0', 'models'), { recursive: true, force: true });
  rmSync(join(tree, 'src', 'server', 'v2.0', 'restapi'), { recursive: true, force: true });
}

/** Harbor's jobservice listens on all interfaces (`:port`); the local stack keeps every server on loopback. */
function patchJobserviceListen(tree: string): void {
  const file = join(tree, 'src', 'jobservice', 'api', 'server.go');
  const text = readFileSync(file, 'utf8');
  const from = 'Addr:         fmt.Sprintf(":%d", cfg.Port),';
  if (!text.includes(from)) {
    throw new Error(`${file}: the listen address line changed; update patchJobserviceListen in build.ts`);
  }
  writeFileSync(file, text.replace(from, 'Addr:         fmt.Sprintf("127.0.0.1:%d", cfg.Port),'));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes what a killed build left (`<name><pid>` entries whose process is gone); the result dir is untouched. */
function removeStale(parent: string, prefix: string): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) {
      rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}

async function build(src: Source, stamp: string): Promise<void> {
  const goV = await execFileP('go', ['version'], { env: goEnv() }).then(
    (r) => r.stdout,
    () => undefined,
  );
  checkGo('harbor', { version: HARBOR_VERSION, module: '', package: '', binary: '', minGo: MIN_GO }, goV);
  const started = Date.now();
  const b = harborBuild();
  const tmp = `${b.dir}.tmp-${process.pid}`;
  removeStale(cacheRoot(), `harbor-${HARBOR_VERSION}.tmp-`);
  removeStale(tmpdir(), 'harbor-src-');
  const tree = join(tmpdir(), `harbor-src-${process.pid}`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'bin'), { recursive: true });
  mkdirSync(join(tmp, 'home'), { recursive: true });
  say(`building Harbor ${HARBOR_VERSION} from ${src.path} (a first build takes about 5 min on 2 cores)`);
  try {
    const swagger = await ensureSwagger();
    await stageSource(src, tree);
    await step(
      'generating the REST server (swagger generate server)',
      swagger,
      [
        'generate',
        'server',
        '--template-dir=tools/swagger/templates',
        '--exclude-main',
        '--additional-initialism=CVE',
        '--additional-initialism=GC',
        '--additional-initialism=OIDC',
        '-f',
        'api/v2.0/swagger.yaml',
        '-A',
        'harbor',
        '--target',
        'src/server/v2.0',
        '--quiet',
      ],
      { cwd: tree, env: goEnv() },
    );
    const srcDir = join(tree, 'src');
    await step(
      'replacing go.pinniped.dev with dev/harbor-real/pinniped-pkce',
      'go',
      ['mod', 'edit', `-replace=go.pinniped.dev=${join(HERE, 'pinniped-pkce')}`],
      { cwd: srcDir, env: goEnv() },
    );
    patchJobserviceListen(tree);
    mkdirSync(join(srcDir, 'cmd', 'stack-htpasswd'), { recursive: true });
    cpSync(join(HERE, 'htpasswd', 'main.go'), join(srcDir, 'cmd', 'stack-htpasswd', 'main.go'));
    const pkg = 'github.com/goharbor/harbor/src/pkg/version';
    const ldflags = `-w -s -X ${pkg}.GitCommit=${src.commit} -X ${pkg}.ReleaseVersion=${HARBOR_VERSION}`;
    for (const [what, out, pkgDir] of [
      ['core', 'harbor_core', './core'],
      ['jobservice', 'harbor_jobservice', './jobservice'],
      ['the htpasswd helper', 'stack-htpasswd', './cmd/stack-htpasswd'],
    ] as const) {
      await step(
        `go build ${what}`,
        'go',
        ['build', '-ldflags', ldflags, '-o', join(tmp, 'bin', out), pkgDir],
        { cwd: srcDir, env: goEnv() },
      );
    }
    cpSync(join(srcDir, 'core', 'views'), join(tmp, 'home', 'views'), { recursive: true });
    cpSync(join(tree, 'make', 'migrations'), join(tmp, 'home', 'migrations'), { recursive: true });
    cpSync(join(tree, 'icons'), join(tmp, 'home', 'icons'), { recursive: true });
    writeFileSync(join(tmp, '.stamp'), stamp);
    rmSync(b.dir, { recursive: true, force: true });
    renameSync(tmp, b.dir);
    say(`built Harbor ${HARBOR_VERSION} in ${Math.round((Date.now() - started) / 1000)}s → ${b.dir}`);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/** Builds Harbor when the cache does not hold exactly this build; returns the binaries' paths. */
export async function ensureHarbor(quiet = false): Promise<HarborBuild> {
  const src = await describeSource(harborSource());
  const stamp = await stampOf(src);
  const b = harborBuild();
  const stampFile = join(b.dir, '.stamp');
  if (isComplete(b) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    if (!quiet) say(`Harbor ${HARBOR_VERSION} already built (${b.dir})`);
    return b;
  }
  await build(src, stamp);
  return b;
}

if (require.main === module) {
  ensureHarbor().catch((err: Error) => {
    console.error(`harbor: ${err.message}`);
    process.exit(1);
  });
}
