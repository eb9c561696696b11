/**
 * `harbor-promote rollback` on bad input: one line naming the option and the fix, exit 2, and no connection
 * (Temporal points at a closed port: a command that dialled it would exit 3 instead).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../../src/cli/exit-codes';
import { runCli } from '../../../src/cli/program';
import { renderRecord } from '../../../src/cli/render';

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
    overlay: { path: prod/kustomization.yaml }
`;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let dir: string;
let good: string;
let closedPort: number;

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` },
  });
  return { code, stdout, stderr: stderr.trim() };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollback-cli-'));
  good = join(dir, 'pipeline.yaml');
  writeFileSync(good, PIPELINE);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closedPort = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('rollback: bad input names the option and the fix, starts nothing', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'neither --to nor --previous',
      ['myservice', '--env', 'production', '--pipeline', 'P'],
      /say where to roll back to: --to DIGEST, or --previous/,
    ],
    [
      'both --to and --previous',
      ['myservice', '--env', 'production', '--to', DIGEST, '--previous', '--pipeline', 'P'],
      /--to and --previous both given; give one/,
    ],
    [
      'a tag for --to',
      ['myservice', '--env', 'production', '--to', '1.0.1', '--pipeline', 'P'],
      /--to "1\.0\.1" is not a sha256 digest.*a rollback goes to a digest, not a tag/,
    ],
    [
      'an image reference as REPOSITORY',
      ['myservice:1.0.1', '--env', 'production', '--previous', '--pipeline', 'P'],
      /REPOSITORY "myservice:1\.0\.1" has a tag or digest; give only the repository/,
    ],
    [
      'a bad environment name',
      ['myservice', '--env', 'Prod', '--previous', '--pipeline', 'P'],
      /--env "Prod" must be lower case/,
    ],
    [
      'an environment without an overlay',
      ['myservice', '--env', 'staging', '--previous', '--pipeline', 'P'],
      /--env: "staging" has no overlay in the pipeline, so there is nothing to re-point; use one of production/,
    ],
    [
      'the source environment',
      ['myservice', '--env', 'dev', '--to', DIGEST, '--pipeline', 'P'],
      /--env: "dev" is the source environment/,
    ],
    [
      'a missing pipeline file',
      ['myservice', '--env', 'production', '--previous', '--pipeline', '/nonexistent/p.yaml'],
      /--pipeline: \/nonexistent\/p\.yaml does not exist/,
    ],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const r = await cli(['rollback', ...args.map((a) => (a === 'P' ? good : a))]);
      assert.equal(r.code, ExitCode.USAGE, r.stderr);
      assert.equal(r.stderr.split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^harbor-promote: /);
      assert.match(r.stderr, message);
    });

  it('a good command line goes on to Temporal (here: unreachable, exit 3)', async () => {
    const r = await cli(['rollback', 'myservice', '--env', 'production', '--previous', '--pipeline', good]);
    assert.equal(r.code, ExitCode.UNREACHABLE, r.stderr);
  });
});

describe('rollback record', () => {
  it('says rollback, of which environment, from which digest to which; no empty digest table', () => {
    const from = `sha256:${'cd'.repeat(32)}`;
    const lines = renderRecord({
      promotionId: `rollback-production/myservice@${DIGEST}`,
      kind: 'rollback',
      rollback: {
        environment: 'production',
        from,
        to: DIGEST,
        requestedBy: 'dana',
        promotedBy: 'promote-myservice@1.0.1',
      },
      repository: 'myservice',
      reference: '1.0.1',
      digest: DIGEST,
      manifestMediaType: '',
      environments: ['production'],
      requestedBy: 'dana',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:05.000Z',
      steps: [],
      scans: {},
      copies: {},
      approvals: {},
      verifications: {},
      overlays: {
        production: { changed: true, commit: 'abcdef1234567890', path: 'prod/kustomization.yaml' },
      },
      proof: [],
      ignoredMessages: [],
    });
    assert.ok(
      lines.includes(
        `  rollback of production: from ${from} to ${DIGEST} (promoted by promote-myservice@1.0.1)`,
      ),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => /digests identical/.test(l)), lines.join('\n'));
  });
});
