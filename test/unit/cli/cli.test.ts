/**
 * The CLI's contract with users and scripts, without a server: bad input gives one clear line on stderr
 * (naming the field and the fix) and a documented non-zero exit code; nothing is started. The one case
 * that touches the network dials a closed local port (no server needed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectionSettings, defaultUiUrl, workflowUrl } from '../../../src/cli/connection';
import { describeError } from '../../../src/cli/errors';
import { EXIT_CODE_HELP, ExitCode } from '../../../src/cli/exit-codes';
import { listQuery, runCli } from '../../../src/cli/program';
import { renderStatus, statusLine } from '../../../src/cli/render';
import type { PromotionStatus } from '../../../src/workflows/messages';

const PIPELINE = `apiVersion: harbor-promote/v1
registry: harbor.example.com
environments:
  - name: dev
    project: platform-dev
  - name: staging
    project: platform-staging
  - name: production
    project: platform-production
    approval: { approvers: [alice, bob] }
`;

let dir: string;
let good: string;
let closedPort: number;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    // A closed port by default: a test that would reach a server fails loudly instead of hanging.
    env: { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`, ...env },
  });
  return { code, stdout, stderr };
}

/** The acceptance shape: exactly one line on stderr, prefixed, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^harbor-promote: /);
  assert.doesNotMatch(stderr, /\n\s+at /, 'stack trace printed');
  return lines[0]!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  good = join(dir, 'pipeline.yaml');
  writeFileSync(good, PIPELINE);
  // Reserve a port, then close it: nothing listens there.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closedPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI bad input: one clear line, non-zero exit, nothing started', () => {
  it('unknown command', async () => {
    const r = await cli(['promote', 'x']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /unknown command 'promote'/);
  });

  it('unknown command close to a real one suggests it', async () => {
    const r = await cli(['aprove', 'x']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /Did you mean approve\?/);
  });

  it('unknown option', async () => {
    const r = await cli(['status', 'x', '--frobnicate']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /unknown option '--frobnicate'/);
  });

  it('bad image reference names the field and the fix', async () => {
    const r = await cli(['start', 'MyService:1.0', '--pipeline', good]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /IMAGE: repository "MyService" has upper case letters; use "myservice"/);
  });

  it('an image without tag or digest is refused (never "latest")', async () => {
    const r = await cli(['start', 'myservice', '--pipeline', good]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /IMAGE: "myservice" has neither a tag nor a digest/);
  });

  it('a malformed digest is refused', async () => {
    const r = await cli(['start', 'myservice@sha256:abc', '--pipeline', good]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /digest "sha256:abc" is not a sha256 digest/);
  });

  it('missing --pipeline', async () => {
    const r = await cli(['start', 'myservice:1.4.2']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /required option '-p, --pipeline <file>' not specified/);
  });

  it('a pipeline file that does not exist', async () => {
    const r = await cli(['start', 'myservice:1.4.2', '--pipeline', join(dir, 'nope.yaml')]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /--pipeline: .*nope\.yaml does not exist/);
  });

  it('an invalid pipeline names the path of each problem', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      PIPELINE.replace('project: platform-staging', 'project: Platform Staging').replace(
        'approvers: [alice, bob]',
        'approvers: []',
      ),
    );
    const r = await cli(['start', 'myservice:1.4.2', '--pipeline', bad]);
    assert.equal(r.code, ExitCode.USAGE);
    const line = oneLine(r.stderr);
    assert.match(line, /environments\[1\]\.project: "Platform Staging" is not a valid Harbor project name/);
    assert.match(line, /environments\[2\]\.approval\.approvers: lists nobody/);
  });

  it('--to an environment the pipeline does not have', async () => {
    const r = await cli(['start', 'myservice:1.4.2', '--pipeline', good, '--to', 'qa']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(
      oneLine(r.stderr),
      /--to: "qa" is not a destination of this pipeline; use one of staging, production/,
    );
  });

  it('approve without --env / --as', async () => {
    let r = await cli(['approve', 'promote-myservice@1.4.2', '--as', 'alice']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /required option '--env <environment>' not specified/);
    r = await cli(['approve', 'promote-myservice@1.4.2', '--env', 'production']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /required option '--as <name>' not specified/);
  });

  it('reject without --reason', async () => {
    const r = await cli(['reject', 'promote-myservice@1.4.2', '--env', 'production', '--as', 'alice']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /required option '--reason <text>' not specified/);
  });

  it('unfreeze needs a non-empty --reason', async () => {
    let r = await cli(['unfreeze', 'promote-myservice@1.4.2', '--env', 'production', '--as', 'alice']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /required option '--reason <text>' not specified/);
    r = await cli([
      'unfreeze',
      'promote-myservice@1.4.2',
      '--env',
      'production',
      '--as',
      'alice',
      '--reason',
      ' ',
    ]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /--reason is empty; say why the freeze may be lifted/);
  });

  it('a poll interval under 1s or a duration beyond 3650d is refused before anything starts', async () => {
    const bad = join(dir, 'limits.yaml');
    writeFileSync(
      bad,
      PIPELINE.replace(
        'project: platform-dev',
        'project: platform-dev\n    scan: { pollInterval: 0s, timeout: 99999999d }',
      ),
    );
    const r = await cli(['start', 'myservice:1.4.2', '--pipeline', bad]);
    assert.equal(r.code, ExitCode.USAGE);
    const line = oneLine(r.stderr);
    assert.match(
      line,
      /environments\[0\]\.scan\.timeout: "99999999d" is longer than the longest wait harbor-promote allows \(3650d/,
    );
    assert.match(
      line,
      /environments\[0\]\.scan\.pollInterval: "0s" is under the shortest poll interval of 1s/,
    );
  });

  it('report needs exactly one of --passed / --failed', async () => {
    let r = await cli(['report', 'promote-myservice@1.4.2', '--env', 'staging']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /give --passed or --failed/);
    r = await cli(['report', 'promote-myservice@1.4.2', '--env', 'staging', '--passed', '--failed']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /cannot be used with/);
  });

  it('a bad --env value', async () => {
    const r = await cli(['approve', 'x', '--env', 'Prod!', '--as', 'alice']);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /--env "Prod!" must be lower case letters/);
  });

  it('a TEMPORAL_ADDRESS with a scheme', async () => {
    const r = await cli(['status', 'x'], { TEMPORAL_ADDRESS: 'http://127.0.0.1:7233' });
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(oneLine(r.stderr), /TEMPORAL_ADDRESS "http:\/\/127\.0\.0\.1:7233" is not host:port/);
  });

  it('unreachable server: one line naming the address and what to do', async () => {
    const r = await cli(['status', 'promote-myservice@1.4.2']);
    assert.equal(r.code, ExitCode.UNREACHABLE);
    const line = oneLine(r.stderr);
    assert.match(line, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${closedPort}`));
    assert.match(line, /TEMPORAL_ADDRESS/);
  });

  it('unreachable server with --json: the same line, and a JSON error on stdout', async () => {
    const r = await cli(['list', '--json']);
    assert.equal(r.code, ExitCode.UNREACHABLE);
    oneLine(r.stderr);
    const out = JSON.parse(r.stdout) as { error: string; exitCode: number };
    assert.equal(out.exitCode, ExitCode.UNREACHABLE);
    assert.match(out.error, /cannot reach Temporal/);
  });

  it('start with a valid image and pipeline but no server starts nothing and says why', async () => {
    const r = await cli(['start', 'myservice:1.4.2', '--pipeline', good]);
    assert.equal(r.code, ExitCode.UNREACHABLE);
    assert.match(oneLine(r.stderr), /cannot reach Temporal/);
    assert.equal(r.stdout, '');
  });

  it('no arguments prints the help on stderr and exits 2', async () => {
    const r = await cli([]);
    assert.equal(r.code, ExitCode.USAGE);
    assert.match(r.stderr, /Usage: harbor-promote/);
  });
});

describe('CLI help and local validation', () => {
  it('--help lists every command, examples and the exit codes, and exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of [
      'start',
      'approve',
      'reject',
      'report',
      'unfreeze',
      'status',
      'watch',
      'list',
      'cancel',
      'record',
    ])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    assert.match(r.stdout, /Examples:/);
    assert.ok(r.stdout.includes(EXIT_CODE_HELP));
  });

  it('each command has --help with an example', async () => {
    for (const c of ['start', 'approve', 'reject', 'report', 'unfreeze', 'watch', 'list']) {
      const r = await cli([c, '--help']);
      assert.equal(r.code, 0, c);
      assert.match(r.stdout, /Example/, c);
      assert.match(r.stdout, /--json|Options:/, c);
    }
  });

  it('start --dry-run validates and prints the workflow id without connecting', async () => {
    const r = await cli(['start', 'myservice:1.4.2-a1b2c3d', '--pipeline', good, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { valid: boolean; workflowId: string; summary: string };
    assert.equal(out.valid, true);
    assert.equal(out.workflowId, 'promote-myservice@1.4.2-a1b2c3d');
    assert.equal(out.summary, 'myservice:1.4.2-a1b2c3d dev → production');
  });
});

describe('CLI building blocks', () => {
  it('connection settings: flags over env over defaults; TLS implied by its options; UI link', () => {
    const d = connectionSettings({}, {});
    assert.deepEqual(
      { a: d.address, n: d.namespace, q: d.taskQueue, ui: d.uiUrl, tls: d.tls },
      { a: '127.0.0.1:7233', n: 'default', q: 'harbor-promote', ui: 'http://127.0.0.1:8233', tls: undefined },
    );
    const e = connectionSettings(
      { namespace: 'flag-ns' },
      {
        TEMPORAL_ADDRESS: 'temporal.example.com:7233',
        TEMPORAL_NAMESPACE: 'env-ns',
        TEMPORAL_TLS_CA: '/ca.pem',
      },
    );
    assert.equal(e.namespace, 'flag-ns');
    assert.deepEqual(e.tls, { caPath: '/ca.pem' });
    assert.equal(defaultUiUrl('127.0.0.1:17233', false), 'http://127.0.0.1:18233');
    assert.equal(
      workflowUrl({ ...d, uiUrl: 'http://ui' }, 'promote-team/app@1.0'),
      'http://ui/namespaces/default/workflows/promote-team%2Fapp%401.0',
    );
    assert.throws(() => connectionSettings({ tlsCertPath: '/c.pem' }, {}), /go together/);
  });

  it('the API key comes from the environment only and turns TLS on', () => {
    const s = connectionSettings({}, { TEMPORAL_API_KEY: 'k-123456' });
    assert.equal(s.apiKey, 'k-123456');
    assert.ok(s.tls);
  });

  it('list filters are visibility queries on the promotion search attributes', () => {
    assert.equal(listQuery({}), "(WorkflowType = 'promoteImage' OR WorkflowType = 'rollbackImage')");
    assert.equal(
      listQuery({ waitingApproval: true, repository: 'team/app' }),
      "(WorkflowType = 'promoteImage' OR WorkflowType = 'rollbackImage') AND PromotionStage = 'awaiting-approval' AND ExecutionStatus = 'Running' AND PromotionRepository = 'team/app'",
    );
    assert.match(listQuery({ failed: true }), /ExecutionStatus = 'Failed'$/);
    assert.match(
      listQuery({ running: true, env: 'staging' }),
      /ExecutionStatus = 'Running' AND PromotionEnvironment = 'staging'$/,
    );
  });

  it('errors map to the documented exit codes without stack traces', () => {
    const unreachable = describeError(new Error('Failed to connect before the deadline'), { address: 'x:1' });
    assert.equal(unreachable.exitCode, ExitCode.UNREACHABLE);
    const internal = describeError(new TypeError('boom\n    at foo (bar.ts:1:1)'));
    assert.deepEqual(internal, { message: 'boom', exitCode: ExitCode.INTERNAL });
  });

  it('the status board shows the gate and the exact command that moves it; multi-line details stay one line', () => {
    const st: PromotionStatus = {
      promotionId: 'promote-myservice@1.4.2',
      repository: 'myservice',
      reference: '1.4.2',
      digest: `sha256:${'a'.repeat(64)}`,
      stage: 'awaiting-approval',
      currentEnvironment: 'production',
      environments: ['dev', 'staging', 'production'],
      steps: [
        {
          id: 'dev/sign',
          environment: 'dev',
          step: 'sign',
          state: 'succeeded',
          detail: 'signed\ncosign output',
          startedAt: '2026-01-01T10:00:00.000Z',
          finishedAt: '2026-01-01T10:00:03.000Z',
        },
        { id: 'production/approvalGate', environment: 'production', step: 'approvalGate', state: 'waiting' },
      ],
      pendingGate: {
        kind: 'approval',
        environment: 'production',
        needs: '1 more approval from alice, bob',
        command: 'harbor-promote approve promote-myservice@1.4.2 --env production --as <name>',
      },
      scans: {},
      approvals: {},
      verifications: {},
      ignoredMessages: [],
    };
    const board = renderStatus(st).join('\n');
    assert.match(board, /waiting for: 1 more approval from alice, bob/);
    assert.match(
      board,
      /to move it: {2}harbor-promote approve promote-myservice@1\.4\.2 --env production --as <name>/,
    );
    assert.doesNotMatch(board, /cosign output/);
    assert.match(board, /✓ dev +sign +succeeded 10:00:00 +3s +signed$/m);
    assert.match(statusLine(st), /awaiting-approval +production +waiting for 1 more approval/);
  });
});
