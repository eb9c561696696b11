/**
 * Bad input changes nothing: every image reference and pipeline row of the corpus goes through the real
 * CLI (`harbor-promote start`) against the live stack. Each is refused with exit 2 and one line naming the
 * field, and afterwards Temporal holds no new workflow, Harbor no new tag or artifact, GitOps no new commit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { REPO_ROOT } from '../../../dev/stack/config';
import { testEnv, childEnv, need } from '../../support/env';
import { headCommit } from '../../support/gitops';
import { HarborAdmin } from '../../support/harbor';
import { connectClient } from '../../support/temporal';
import { GOOD_PIPELINE, IMAGE_REFERENCE_ROWS, PIPELINE_ROWS } from '../../unit/bad-input/corpus';

const run = promisify(execFile);
const env = testEnv();
const CLI = join(REPO_ROOT, 'bin', 'harbor-promote.js');
const dir = mkdtempSync(join(tmpdir(), 'bad-input-stack-'));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function start(image: string, pipelineFile: string): Promise<Outcome> {
  return run(process.execPath, [CLI, 'start', '--pipeline', pipelineFile, '--', image], {
    env: childEnv(env),
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

/** Everything a bad start could have changed. */
async function snapshot(client: Client) {
  const harbor = new HarborAdmin(env);
  const sim = await harbor.json<Record<string, number>>('/_sim/state');
  const { count } = await client.workflow.count();
  return { workflows: count, harbor: sim, gitops: await headCommit(need(env, 'GITOPS_REPO_URL')) };
}

/** Runs the rows a few at a time: each CLI start is a Node process of its own. */
async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function assertRefused(o: Outcome, expect: RegExp[], what: string): void {
  assert.equal(o.code, 2, `${what}: exit code ${o.code}\n${o.stderr}${o.stdout}`);
  const lines = o.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got:\n${o.stderr}`);
  assert.doesNotMatch(o.stderr, /\n\s+at /, `${what}: no stack trace`);
  // The CLI names the argument IMAGE and the pipeline by its file; the corpus names them image and by path.
  const rest = lines[0]!
    .replace(/^harbor-promote: IMAGE: /, 'image: ')
    .replace(/^harbor-promote: [^:]+\.yaml: /, '');
  // Problems are joined by "; ": a pattern may match from the start of any of them.
  const starts = [rest, ...rest.split('; ').map((_, k, all) => all.slice(k).join('; '))];
  for (const e of expect)
    assert.ok(
      starts.some((c) => e.test(c)),
      `${what}: ${e} in\n${lines[0]}`,
    );
}

describe('bad input through the CLI changes nothing on the stack', () => {
  let client: Client;
  let before0: Awaited<ReturnType<typeof snapshot>>;
  const good = join(dir, 'good.yaml');

  before(async () => {
    client = await connectClient(env);
    writeFileSync(good, GOOD_PIPELINE);
    before0 = await snapshot(client);
  });
  after(async () => {
    await client.connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // argv cannot carry a NUL byte at all, so that row stays with the pure corpus.
  const refRows = IMAGE_REFERENCE_ROWS.filter((r) => !r.input.includes('\0'));

  it(`refuses every bad image reference that argv can carry (${refRows.length} rows)`, async () => {
    await inBatches(refRows, 4, async (row) => {
      // After `--` even `--help` or an empty string is the image argument, as a script would pass it.
      assertRefused(await start(row.input, good), [row.expect], `image ${JSON.stringify(row.name)}`);
    });
  });

  it(`refuses every broken pipeline file (${PIPELINE_ROWS.length} rows)`, async () => {
    await inBatches(PIPELINE_ROWS, 4, async (row) => {
      const file = join(dir, `${row.name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
      writeFileSync(file, row.yaml);
      assertRefused(await start('myservice:1.4.2', file), row.expect, `pipeline ${JSON.stringify(row.name)}`);
    });
  });

  it('afterwards: no workflow started, no tag or artifact in Harbor, no GitOps commit', async () => {
    assert.deepEqual(await snapshot(client), before0);
  });
});
