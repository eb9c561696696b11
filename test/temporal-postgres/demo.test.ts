/**
 * `npm run stack -- up --temporal postgres && npm run demo`: the whole promotion on temporal-server v1.29.1
 * with PostgreSQL persistence and visibility, the worker, CLI and demo unchanged. Brings up its own stack
 * (STACK_DIR .data/test-stack-pg, the test stack's ports from scripts/test.sh, so TEST_PORT_OFFSET moves
 * it) and takes it down at the end. Not part of `npm test` (it builds temporal-server on first use):
 *
 *   TEST_PORT_OFFSET=… bash scripts/test.sh files test/temporal-postgres/demo.test.ts
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { REPO_ROOT, StackConfig, stackConfig } from '../../dev/stack/config';
import { stackDown, stackStatus, stackUp } from '../../dev/stack/stack';
import { DATABASES } from '../../dev/stack/temporal-postgres';
import { internalSecret } from '../../dev/harbor-real/services';
import { ensureSystemPackages } from '../../dev/harbor-real/system';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

const run = promisify(execFile);
const quiet = () => {};
const WORKFLOW_ID = 'promote-myservice@1.4.2-a1b2c3d';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** The demo as a user runs it (`npm run demo`), in the stack's environment; resolves with its exit code. */
function demo(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/demo/demo.ts'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

describe('Temporal on PostgreSQL: stack up --temporal postgres, then the demo', () => {
  let env: NodeJS.ProcessEnv;
  let c: StackConfig;

  before(async () => {
    assert.ok(
      process.env.STACK_TEMPORAL_PORT,
      'run through scripts/test.sh (it sets the test stack ports, moved by TEST_PORT_OFFSET)',
    );
    env = {
      ...process.env,
      STACK_DIR: '.data/test-stack-pg',
      STACK_HARBOR: 'sim',
      STACK_TEMPORAL: 'postgres',
    };
    c = stackConfig(env);
    await stackDown({ config: c, say: quiet }).catch(() => {});
    rmSync(c.dir, { recursive: true, force: true });
  });
  after(() => stackDown({ config: c, say: quiet }));

  it('up starts PostgreSQL and temporal-server (no dev server, no UI), with the namespace and search attributes', async () => {
    const lines: string[] = [];
    await stackUp({ config: c, say: (l) => lines.push(l) });
    const status = await stackStatus(c);
    assert.deepEqual(
      status.map((s) => [s.name, s.running]),
      [
        ['postgres', true],
        ['temporal-server', true],
        ['registry', true],
        ['harbor-sim', true],
      ],
    );
    assert.ok(
      lines.some((l) => /Temporal UI: not part of this mode/.test(l)),
      'up says there is no UI',
    );
    assert.equal(await accepts(c.temporalUiPort), false, 'nothing listens on the UI port');
    const connection = await Connection.connect({ address: `127.0.0.1:${c.temporalPort}` });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      assert.match(info.serverVersion ?? '', /^1\.29\.1/);
      const sa = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const k of PROMOTION_SEARCH_ATTRIBUTES)
        assert.ok(k.name in (sa.customAttributes ?? {}), `${k.name} registered`);
    } finally {
      await connection.close();
    }
  });

  it('npm run demo promotes the image to production, and the history is in PostgreSQL', async () => {
    const r = await demo(env);
    assert.equal(r.code, 0, r.output.slice(-3000));
    assert.match(r.output, /all 3 digests identical: a copy, not a rebuild/);
    const sys = await ensureSystemPackages(quiet, { redis: false });
    const { stdout } = await run(
      sys.psql,
      [
        ...['-h', '127.0.0.1', '-p', String(c.postgresPort), '-U', 'postgres', '-d', DATABASES.visibility],
        ...['-tAc', `SELECT status FROM executions_visibility WHERE workflow_id = '${WORKFLOW_ID}'`],
      ],
      { env: { ...process.env, PGPASSWORD: internalSecret(c, 'postgres-password') } },
    );
    assert.equal(stdout.trim(), '2', 'the visibility row says COMPLETED (2)');
  });

  it('after down and up (no flag: the stack remembers the mode) the completed promotion is still there', async () => {
    await stackDown({ config: c, say: quiet });
    assert.ok(
      (await stackStatus(c)).every((s) => !s.running),
      'down stopped everything',
    );
    await stackUp({ config: stackConfig({ ...env, STACK_TEMPORAL: '' }), say: quiet });
    const connection = await Connection.connect({ address: `127.0.0.1:${c.temporalPort}` });
    try {
      const desc = await new Client({ connection }).workflow.getHandle(WORKFLOW_ID).describe();
      assert.equal(desc.status.name, 'COMPLETED');
    } finally {
      await connection.close();
    }
  });
});
