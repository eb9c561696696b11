/**
 * Temporal on PostgreSQL without starting it: which Temporal a stack runs (STACK_TEMPORAL, else what `up`
 * remembered, else the dev server), the services in start order, the server configuration (loopback only,
 * ports moved with STACK_TEMPORAL_PORT, no password in the file), and that the server's tools are built
 * only on demand.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { servicesOf } from '../../../dev/stack/components';
import { internalSecret } from '../../../dev/harbor-real/services';
import { stackConfig, temporalKindFile } from '../../../dev/stack/config';
import { checkServerPorts, serverConfigYaml, serverPorts } from '../../../dev/stack/temporal-postgres';
import { ensureTools, loadTools, stampOf, toolDir } from '../../../scripts/tools';

const dir = mkdtempSync(join(tmpdir(), 'temporal-kind-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('stack Temporal kind', () => {
  it('is the dev server unless STACK_TEMPORAL or the remembered kind says postgres', () => {
    assert.equal(stackConfig({ STACK_DIR: dir }).temporal, 'dev');
    writeFileSync(temporalKindFile(dir), 'postgres\n');
    assert.equal(stackConfig({ STACK_DIR: dir }).temporal, 'postgres');
    assert.equal(stackConfig({ STACK_DIR: dir, STACK_TEMPORAL: 'dev' }).temporal, 'dev');
    rmSync(temporalKindFile(dir));
  });

  it('refuses an unknown kind, naming the variable and the choices', () => {
    assert.throws(
      () => stackConfig({ STACK_DIR: dir, STACK_TEMPORAL: 'cassandra' }),
      /STACK_TEMPORAL=cassandra is not a Temporal kind: use dev .* or postgres/,
    );
  });

  it('runs PostgreSQL first and temporal-server instead of the dev server, one cluster with real Harbor', () => {
    const names = (env: NodeJS.ProcessEnv) =>
      servicesOf(stackConfig({ STACK_DIR: dir, ...env })).map((s) => s.name);
    assert.deepEqual(names({ STACK_TEMPORAL: 'postgres', STACK_HARBOR: 'sim' }), [
      'postgres',
      'temporal-server',
      'registry',
      'harbor-sim',
    ]);
    const real = names({ STACK_TEMPORAL: 'postgres', STACK_HARBOR: 'real' });
    assert.deepEqual(real.slice(0, 3), ['postgres', 'temporal-server', 'redis']);
    assert.equal(real.filter((n) => n === 'postgres').length, 1, 'one PostgreSQL cluster');
    assert.equal(names({ STACK_HARBOR: 'sim' })[0], 'temporal');
  });
});

describe('temporal-server configuration', () => {
  const c = stackConfig({ STACK_DIR: dir, STACK_TEMPORAL_PORT: '21033', STACK_POSTGRES_PORT: '19233' });
  const text = serverConfigYaml(c);
  const config = parse(text) as {
    persistence: { datastores: Record<string, { sql: { connectAddr: string } }> };
    services: Record<string, { rpc: { grpcPort: number; membershipPort: number; bindOnLocalHost: boolean } }>;
    clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  };

  it('listens on loopback only, on ports that follow STACK_TEMPORAL_PORT', () => {
    const p = serverPorts(21033);
    assert.equal(config.services.frontend!.rpc.grpcPort, 21033);
    const used = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort]);
    assert.equal(new Set(used).size, used.length, 'no port twice');
    assert.ok(used.every((port) => port >= 21033 && port <= p.frontendHttp));
    assert.ok(Object.values(config.services).every((s) => s.rpc.bindOnLocalHost));
    assert.equal(config.clusterMetadata.clusterInformation.active.rpcAddress, '127.0.0.1:21033');
    for (const store of Object.values(config.persistence.datastores))
      assert.equal(store.sql.connectAddr, '127.0.0.1:19233');
  });

  it('refuses a frontend port whose membership ports do not fit the schema (smallint), naming the fix', () => {
    assert.doesNotThrow(() => checkServerPorts(32760));
    assert.throws(
      () => checkServerPorts(40100),
      /STACK_TEMPORAL_PORT=40100 is too high for Temporal on PostgreSQL: .*≤ 32767.*choose STACK_TEMPORAL_PORT ≤ 32760/,
    );
  });

  it('keeps the database password out of the file (the server reads it from its environment)', () => {
    assert.match(text, /^# enable-template/);
    assert.ok(!text.includes(internalSecret(c, 'temporal-db-password')));
    // The server renders the file as a Go template before it parses the YAML.
    assert.equal(text.match(/^ {8}password: \{\{ env "TEMPORAL_DB_PASSWORD" \| quote \}\}$/gm)?.length, 2);
  });
});

describe('pinned tools', () => {
  it('a plain build skips the on-demand temporal-server and temporal-sql-tool', async () => {
    const tools = loadTools();
    assert.ok(tools['temporal-server']!.onDemand && tools['temporal-sql-tool']!.onDemand);
    const cache = join(dir, 'tools');
    const env = { ...process.env, HARBOR_PROMOTE_TOOLS_DIR: cache };
    // Every other tool "built" (binary and stamp): ensureTools must then build nothing at all.
    for (const [name, spec] of Object.entries(tools).filter(([, s]) => !s.onDemand)) {
      const d = toolDir(name, spec, env);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, spec.binary), '');
      writeFileSync(join(d, '.stamp'), stampOf(spec));
    }
    const before = process.env.HARBOR_PROMOTE_TOOLS_DIR;
    process.env.HARBOR_PROMOTE_TOOLS_DIR = cache;
    try {
      const built = await ensureTools(undefined, true);
      assert.deepEqual(Object.keys(built).sort(), ['cosign', 'registry', 'skopeo', 'temporal']);
    } finally {
      if (before === undefined) delete process.env.HARBOR_PROMOTE_TOOLS_DIR;
      else process.env.HARBOR_PROMOTE_TOOLS_DIR = before;
    }
  });
});
