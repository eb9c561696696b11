/**
 * Builds the pinned Go tools (tools.json) with `go install` into a per-user cache outside the repository,
 * so every clone on this machine reuses them. A tool is reused when its directory holds the binary and a
 * stamp naming exactly what was built (module, version, tags); otherwise it is built into a temporary
 * directory and moved into place, so an interrupted build never leaves a half-written binary behind.
 *
 *   tsx scripts/tools.ts build [name...]   build what is missing (progress on stderr); without names every
 *                                          tool except the `onDemand` ones (temporal-server, temporal-sql-tool)
 *   tsx scripts/tools.ts path NAME         print one binary's path (fails when it is not built)
 *   tsx scripts/tools.ts env               print `export COSIGN_BIN=…` lines for every built tool
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export interface ToolSpec {
  version: string;
  /** The Go module path and the main package inside it. */
  module: string;
  package: string;
  binary: string;
  minGo: string;
  cgo?: boolean;
  tags?: string[];
  /** `download`: go mod download + go build, for modules whose go install the proxy refuses (tools.json notes why). */
  build?: 'install' | 'download';
  /** Skip the checksum database for this module only (it is not listed there). */
  noSumDb?: boolean;
  /** Built only when named (by the stack mode that needs it), never by a plain `build`. */
  onDemand?: boolean;
}

export const TOOL_ENV: Record<string, string> = {
  temporal: 'TEMPORAL_CLI',
  cosign: 'COSIGN_BIN',
  skopeo: 'SKOPEO_BIN',
  registry: 'REGISTRY_BIN',
  'temporal-server': 'TEMPORAL_SERVER_BIN',
  'temporal-sql-tool': 'TEMPORAL_SQL_TOOL_BIN',
};

export function loadTools(file = resolve(__dirname, '..', 'tools.json')): Record<string, ToolSpec> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete raw.$comment;
  return raw as Record<string, ToolSpec>;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HARBOR_PROMOTE_TOOLS_DIR) return env.HARBOR_PROMOTE_TOOLS_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'harbor-promote', 'tools');
}

export function toolDir(name: string, spec: ToolSpec, env = process.env): string {
  return join(cacheRoot(env), `${name}-${spec.version}`);
}

export function stampOf(spec: ToolSpec): string {
  const { module, package: pkg, version, cgo = true, tags = [], build = 'install' } = spec;
  return JSON.stringify({ module, pkg, version, cgo, tags, build });
}

export function isBuilt(name: string, spec: ToolSpec, env = process.env): boolean {
  const dir = toolDir(name, spec, env);
  const stamp = join(dir, '.stamp');
  return (
    existsSync(join(dir, spec.binary)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === stampOf(spec)
  );
}

/** `go version go1.26.8 linux/amd64` → `1.26.8`; undefined when the text has no Go version. */
export function parseGoVersion(text: string): string | undefined {
  return /\bgo(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

/** Numeric comparison of dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Throws an error that says what to install when Go is missing or too old for the tool. */
export function checkGo(name: string, spec: ToolSpec, goVersionOutput: string | undefined): void {
  if (goVersionOutput === undefined) {
    throw new Error(
      `cannot build ${name} ${spec.version}: the Go toolchain was not found on PATH. ` +
        `Install Go ${spec.minGo} or newer (https://go.dev/doc/install) and run \`npm run tools -- build\` again.`,
    );
  }
  const have = parseGoVersion(goVersionOutput);
  if (!have)
    throw new Error(`cannot build ${name}: could not read a Go version from "${goVersionOutput.trim()}"`);
  if (compareVersions(have, spec.minGo) < 0) {
    throw new Error(
      `cannot build ${name} ${spec.version}: it needs Go ${spec.minGo} or newer, found Go ${have}. ` +
        `Offline, go install cannot fetch a newer toolchain: install Go ${spec.minGo}+ and retry.`,
    );
  }
}

function goRun(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('go', args, { env, maxBuffer: 16 << 20 }, (_err, stdout, stderr) => done({ stdout, stderr }));
  });
}

function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], {
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    });
  } catch {
    return undefined;
  }
}

async function build(name: string, spec: ToolSpec): Promise<void> {
  checkGo(name, spec, goVersion());
  const dir = toolDir(name, spec);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  if (spec.cgo === false) env.CGO_ENABLED = '0';
  if (spec.noSumDb) env.GONOSUMDB = spec.module;
  const tagArgs = spec.tags?.length ? ['-tags', spec.tags.join(',')] : [];
  let args: string[];
  let cwd: string | undefined;
  if (spec.build === 'download') {
    const out = await goRun(['mod', 'download', '-json', `${spec.module}@${spec.version}`], env);
    const info = JSON.parse(out.stdout) as { Dir?: string; Error?: string };
    if (!info.Dir)
      throw new Error(
        `tools: downloading ${spec.module}@${spec.version} failed: ${info.Error ?? out.stderr}`,
      );
    cwd = info.Dir;
    args = ['build', ...tagArgs, '-o', join(tmp, spec.binary), spec.package];
  } else {
    env.GOBIN = tmp;
    args = ['install', ...tagArgs, `${spec.module}/${spec.package.replace(/^\.\//, '')}@${spec.version}`];
  }
  const started = Date.now();
  process.stderr.write(`tools: building ${name} ${spec.version} (go ${args.join(' ')}) …\n`);
  // A first build takes minutes: say so every 20 s instead of staying silent.
  const ticker = setInterval(() => {
    process.stderr.write(
      `tools:   … still building ${name} (${Math.round((Date.now() - started) / 1000)}s)\n`,
    );
  }, 20_000);
  let stderr = '';
  const code = await new Promise<number>((done) => {
    const child = spawn('go', args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => done(c ?? 1));
    child.on('error', () => done(127));
  });
  clearInterval(ticker);
  if (code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`tools: building ${name} ${spec.version} failed (exit ${code}):\n${stderr.slice(-4000)}`);
  }
  // go install names the binary after the package directory (cmd/server → server): give it the tool's name.
  const installed = join(tmp, basename(spec.package));
  if (spec.build !== 'download' && installed !== join(tmp, spec.binary)) {
    renameSync(installed, join(tmp, spec.binary));
  }
  writeFileSync(join(tmp, '.stamp'), stampOf(spec));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  process.stderr.write(
    `tools: built ${name} ${spec.version} in ${Math.round((Date.now() - started) / 1000)}s\n`,
  );
}

export function binaryPath(name: string, tools = loadTools(), env = process.env): string {
  const spec = tools[name];
  if (!spec) throw new Error(`unknown tool "${name}"; known: ${Object.keys(tools).join(', ')}`);
  return join(toolDir(name, spec, env), spec.binary);
}

/**
 * Builds the named tools that are not built yet (by default every tool that is not `onDemand`); returns
 * name → binary path.
 */
export async function ensureTools(names?: string[], quiet = false): Promise<Record<string, string>> {
  const tools = loadTools();
  const out: Record<string, string> = {};
  const wanted = names?.length ? names : Object.keys(tools).filter((n) => !tools[n]!.onDemand);
  for (const name of wanted) {
    const spec = tools[name];
    if (!spec) throw new Error(`unknown tool "${name}"; known: ${Object.keys(tools).join(', ')}`);
    if (!isBuilt(name, spec)) await build(name, spec);
    else if (!quiet) process.stderr.write(`tools: ${name} ${spec.version} already built\n`);
    out[name] = binaryPath(name, tools);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const [command = 'build', ...names] = argv;
  const tools = loadTools();
  if (command === 'build') {
    await ensureTools(names);
  } else if (command === 'path') {
    const name = names[0] ?? '';
    const spec = tools[name];
    if (!spec || !isBuilt(name, spec))
      throw new Error(`${name} is not built: run \`npm run tools -- build ${name}\``);
    console.log(binaryPath(name, tools));
  } else if (command === 'env') {
    for (const [name, spec] of Object.entries(tools)) {
      const variable = TOOL_ENV[name];
      if (variable && isBuilt(name, spec)) console.log(`export ${variable}=${binaryPath(name, tools)}`);
    }
  } else {
    throw new Error(`usage: tools.ts build [name...] | path NAME | env`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
