/**
 * There is no Docker engine here, so the packaging is checked statically: docker-compose.yml parses, what
 * it builds and runs exists in this repository, the worker's environment passes the worker's own zod
 * schema, and the Dockerfile builds the tool versions pinned in tools.json as a non-root worker.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../../src/workflows/search-attributes';
import { parseWorkerEnv, WORKER_ENV } from '../../../src/worker/config';

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Stands for an escaped `$$` while variables are replaced. */
const DOLLAR = '\u{E000}';

/** Compose's interpolation: ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR}, $VAR and $$. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text
    .replace(/\$\$/g, DOLLAR)
    .replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, name, op, arg, bare) => {
        const key = (name ?? bare) as string;
        const v = env[key];
        if (op === ':-') return v ? v : (arg as string);
        if (op === '-') return v !== undefined ? v : (arg as string);
        if (op === ':?' || op === '?') {
          if (!v) throw new Error(`compose: ${key} is required: ${arg}`);
          return v;
        }
        return v ?? '';
      },
    )
    .split(DOLLAR)
    .join('$');
}

interface Service {
  build?: { context: string; target?: string; dockerfile?: string } | string;
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  profiles?: string[];
  depends_on?: unknown;
  secrets?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
  configs?: Record<string, { content?: string; file?: string }>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
// Compose reads YAML merge keys (`<<: *worker-environment`); the yaml package needs them switched on.
const compose = parse(interpolate(composeText, {}), { merge: true }) as Compose;
const dockerfile = read('Dockerfile');
const stages = [...dockerfile.matchAll(/^FROM\s+\S+(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);
const stageText = (name: string) => {
  const start = dockerfile.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im'));
  assert.ok(start >= 0, `Dockerfile has no stage ${name}`);
  const next = dockerfile.slice(start + 1).search(/^FROM\s/im);
  return next < 0 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
};
const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('docker-compose.yml', () => {
  it('parses, with the Temporal dev server, the worker, harbor-sim + registry under profile "local" and Temporal on PostgreSQL under profile "postgres"', () => {
    const byProfile = (profile: string | undefined) =>
      Object.entries(compose.services)
        .filter(([, s]) => s.profiles?.[0] === profile && (s.profiles?.length ?? 0) <= 1)
        .map(([n]) => n)
        .sort();
    assert.equal(Object.keys(compose.services).length, 9);
    assert.deepEqual(byProfile(undefined), ['temporal', 'worker']);
    assert.deepEqual(byProfile('local'), ['harbor-sim', 'registry']);
    assert.deepEqual(byProfile('postgres'), [
      'postgresql',
      'temporal-postgres',
      'temporal-postgres-setup',
      'temporal-schema',
      'worker-postgres',
    ]);
  });

  it("builds from this repository, from Dockerfile stages that exist; pulls only the PostgreSQL profile's pinned images", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.image) {
        assert.deepEqual(svc.profiles, ['postgres'], `${name}: only the postgres profile pulls images`);
        assert.match(svc.image, /^(postgres:\d+|temporalio\/(server|admin-tools):\d+\.\d+\.\d+)$/, name);
        continue;
      }
      assert.ok(svc.build, `${name} has no build section`);
      const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      assert.ok(existsSync(join(ROOT, b.context)), `${name}: build context ${b.context} missing`);
      assert.ok(
        existsSync(join(ROOT, b.context, b.dockerfile ?? 'Dockerfile')),
        `${name}: Dockerfile missing`,
      );
      if (b.target) assert.ok(stages.includes(b.target), `${name}: Dockerfile has no stage "${b.target}"`);
    }
  });

  it("runs commands whose files exist (harbor-sim's entrypoint, the worker's entrypoint)", () => {
    for (const [stage, file] of [
      ['harbor-sim', 'dev/harbor-sim/main.ts'],
      ['worker', 'src/worker.ts'],
    ] as const) {
      const text = stageText(stage);
      assert.match(
        text,
        new RegExp(`ENTRYPOINT \\[.*"${file.replace(/[./]/g, '\\$&')}"\\]`),
        `${stage} entrypoint`,
      );
      assert.ok(existsSync(join(ROOT, file)), `${file} missing`);
    }
    // harbor-sim's flags are the ones its main.ts parses.
    const simMain = read('dev/harbor-sim/main.ts');
    for (const flag of (compose.services['harbor-sim']!.command as string[]).filter((a) =>
      a.startsWith('--'),
    ))
      assert.ok(simMain.includes(`${flag.slice(2)}:`), `harbor-sim does not accept ${flag}`);
    // Every COPY source in the Dockerfile exists (except --from stage copies).
    for (const m of dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)) {
      const parts = m[1]!.trim().split(/\s+/);
      for (const src of parts.slice(0, -1))
        assert.ok(existsSync(join(ROOT, src)), `Dockerfile COPY ${src}: missing`);
    }
  });

  it('registers the search attributes the CLI and the UI filter on', () => {
    const cmd = compose.services.temporal!.command as string[];
    const attrs = cmd.flatMap((a, i) => (cmd[i - 1] === '--search-attribute' ? [a] : []));
    assert.deepEqual(attrs.sort(), PROMOTION_SEARCH_ATTRIBUTES.map((k) => `${k.name}=Keyword`).sort());
    assert.ok(cmd.includes('frontend.enableServerVersionCheck=false'));
  });

  it('gives the worker an environment its zod schema accepts, with secrets only as files', () => {
    const env = envOf(compose.services.worker!);
    const unknown = Object.keys(env).filter((k) => !(k in WORKER_ENV));
    assert.deepEqual(unknown, [], `variables the worker does not read: ${unknown.join(', ')}`);
    const r = parseWorkerEnv(env);
    assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
    assert.equal(r.env.HARBOR_USERNAME, 'robot$promoter', '$$ must stay a literal $');
    for (const k of ['HARBOR_PASSWORD', 'COSIGN_PASSWORD', 'COSIGN_KEY', 'TEMPORAL_API_KEY'])
      assert.equal(env[k], undefined, `${k} inline: use the *_FILE form with a compose secret`);
    for (const s of compose.services.worker!.secrets ?? [])
      assert.ok(compose.secrets?.[s]?.file, `secret ${s} is not declared with a file`);
    const files = Object.values(env).filter((v) => v.startsWith('/run/secrets/'));
    assert.deepEqual(
      files.map((f) => f.slice('/run/secrets/'.length)).sort(),
      [...(compose.services.worker!.secrets ?? [])].sort(),
    );
  });

  it('also works with a real Harbor given through the environment', () => {
    const c = parse(
      interpolate(composeText, {
        HARBOR_URL: 'https://harbor.example.com',
        HARBOR_USERNAME: 'robot$prod+promoter',
      }),
      { merge: true },
    ) as Compose;
    const r = parseWorkerEnv(envOf(c.services.worker!));
    assert.ok(r.ok);
    assert.equal(r.env.HARBOR_URL, 'https://harbor.example.com');
  });
});

describe('docker-compose.yml profile "postgres" (mirrors `npm run stack -- up --temporal postgres`)', () => {
  const svc = (name: string) => compose.services[name]!;
  const script = (name: string) => (svc(name).command as string[]).join('\n');
  const serverVersion = (JSON.parse(read('tools.json')) as Record<string, { version: string }>)[
    'temporal-server'
  ]!.version.replace(/^v/, '');

  it('runs the Temporal server version tools.json pins for the stack, with admin tools of the same version', () => {
    assert.equal(svc('temporal-postgres').image, `temporalio/server:${serverVersion}`);
    assert.equal(svc('temporal-schema').image, `temporalio/admin-tools:${serverVersion}`);
    assert.equal(svc('temporal-postgres-setup').image, `temporalio/admin-tools:${serverVersion}`);
  });

  it('starts in order: PostgreSQL, schemas, server, namespace + search attributes, worker', () => {
    const deps = (name: string) => svc(name).depends_on as Record<string, { condition: string }>;
    assert.deepEqual(deps('temporal-schema'), { postgresql: { condition: 'service_healthy' } });
    assert.deepEqual(deps('temporal-postgres'), {
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    assert.deepEqual(deps('temporal-postgres-setup'), {
      'temporal-postgres': { condition: 'service_healthy' },
    });
    assert.deepEqual(deps('worker-postgres'), {
      'temporal-postgres-setup': { condition: 'service_completed_successfully' },
    });
  });

  it("creates both schemas from the server's postgresql/v12 directories and the promotion search attributes", () => {
    assert.match(script('temporal-schema'), /temporal:temporal temporal_visibility:visibility/);
    assert.match(
      script('temporal-schema'),
      /\/etc\/temporal\/schema\/postgresql\/v12\/\$\{pair#\*:\}\/versioned/,
    );
    const attrs = /for name in ([^;]+);/.exec(script('temporal-postgres-setup'))?.[1]?.split(' ');
    assert.deepEqual(attrs?.sort(), PROMOTION_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    assert.match(script('temporal-postgres-setup'), /--type Keyword/);
    assert.match(
      compose.configs?.temporal_dynamic_config?.content ?? '',
      /enableServerVersionCheck:\n\s+- value: false/,
    );
  });

  it('keeps the database password in a secret file, never inline', () => {
    for (const name of ['postgresql', 'temporal-schema', 'temporal-postgres']) {
      assert.deepEqual(svc(name).secrets, ['temporal_db_password'], name);
      assert.ok(!Object.keys(envOf(svc(name))).some((k) => /PASSWORD$|PWD$/.test(k) && !k.endsWith('_FILE')));
    }
    assert.ok(compose.secrets?.temporal_db_password?.file.endsWith('/temporal-db-password'));
  });

  it("gives worker-postgres the worker's environment, secrets and volumes, with the PostgreSQL server's address", () => {
    const { TEMPORAL_ADDRESS, ...rest } = envOf(svc('worker-postgres'));
    const { TEMPORAL_ADDRESS: devAddress, ...workerRest } = envOf(svc('worker'));
    assert.equal(TEMPORAL_ADDRESS, 'temporal-postgres:7233');
    assert.equal(devAddress, 'temporal:7233');
    assert.deepEqual(rest, workerRest);
    assert.deepEqual(svc('worker-postgres').secrets, svc('worker').secrets);
    assert.deepEqual(svc('worker-postgres').volumes, svc('worker').volumes);
  });
});

describe('Dockerfile', () => {
  const tools = JSON.parse(read('tools.json')) as Record<string, { version: string }>;
  const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];

  it('is multi-stage and builds the pinned tool versions from tools.json', () => {
    assert.ok(stages.length >= 3, 'multi-stage');
    assert.equal(arg('COSIGN_VERSION'), tools.cosign!.version);
    assert.equal(arg('SKOPEO_VERSION'), tools.skopeo!.version);
    assert.equal(arg('TEMPORAL_CLI_VERSION'), tools.temporal!.version);
    assert.equal(arg('REGISTRY_VERSION'), tools.registry!.version);
    assert.match(stageText('tools'), /containers_image_openpgp/);
  });

  it('runs the worker as a non-root user, with cosign and skopeo inside and no harbor-sim', () => {
    assert.equal(stages[stages.length - 1], 'worker', 'the worker is the default (last) stage');
    const worker = stageText('worker');
    const user = /^USER\s+(\S+)$/m.exec(worker)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', `worker USER is ${user}`);
    assert.match(worker, /COPY --from=tools \/out\/cosign \/out\/skopeo/);
    assert.doesNotMatch(worker, /dev\/harbor-sim/);
    assert.match(worker, /WORKER_WORKFLOW_BUNDLE=/);
    for (const k of [...worker.matchAll(/^\s+([A-Z_]+)=/gm)]
      .map((m) => m[1]!)
      .filter((k) => k.startsWith('WORKER_') || k.endsWith('_BIN')))
      assert.ok(k in WORKER_ENV, `Dockerfile sets ${k}, which the worker does not read`);
  });

  it('uses the Node major version of package.json engines', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    assert.equal(arg('NODE_VERSION')?.split('.')[0], /\d+/.exec(engines)?.[0]);
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['.data', 'node_modules', '.git']) assert.ok(ignore.includes(p), `${p} not ignored`);
  });
});
