// runProcess: argv without shell, timeout, kill of the whole process group on activity cancellation,
// secrets kept off argv and out of output. Needs no stack (only /bin/sh and sleep).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { runProcess, SpawnError } from '../../../src/activities/process.js';
import { Redactor, withPrivateDir } from '../../../src/activities/secrets.js';
import { statSync } from 'node:fs';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
  } catch {
    return false;
  }
};
const waitFor = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

describe('runProcess', () => {
  it('passes argv verbatim (no shell interpretation)', async () => {
    const r = await runProcess({ bin: '/bin/echo', args: ['$HOME', '; rm -rf /', '`id`'], timeoutMs: 5_000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '$HOME ; rm -rf / `id`\n');
  });

  it('does not inherit the worker environment', async () => {
    process.env.HARBOR_PASSWORD_TEST_LEAK = 'leak-me-please';
    const r = await runProcess({ bin: '/usr/bin/env', args: [], timeoutMs: 5_000, env: { EXTRA: 'x' } });
    delete process.env.HARBOR_PASSWORD_TEST_LEAK;
    assert.ok(!r.stdout.includes('leak-me-please'));
    assert.match(r.stdout, /EXTRA=x/);
  });

  it('times out and kills the process group', async () => {
    const r = await runProcess({
      bin: '/bin/sh',
      args: ['-c', 'sleep 30 & echo $! ; wait'],
      timeoutMs: 500,
      killGraceMs: 200,
    });
    assert.equal(r.timedOut, true);
    const grandchild = Number(r.stdout.trim());
    assert.ok(await waitFor(() => !alive(grandchild)), 'background child survived');
  });

  it('redacts secrets from output', async () => {
    const red = new Redactor().add('hunter2-secret');
    const r = await runProcess({
      bin: '/bin/sh',
      args: ['-c', 'echo "pw=$PW" >&2'],
      env: { PW: 'hunter2-secret' },
      timeoutMs: 5_000,
      redactor: red,
    });
    assert.equal(r.stderr.trim(), 'pw=***');
  });

  it('a missing binary is a SpawnError', async () => {
    await assert.rejects(runProcess({ bin: '/nonexistent/tool', args: [], timeoutMs: 1_000 }), SpawnError);
  });

  it('activity cancellation kills the child and its children, heartbeating meanwhile', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    let pid = 0;
    const run = env.run(async () =>
      runProcess({
        bin: '/bin/sh',
        args: ['-c', 'sleep 60 & sleep 60'],
        timeoutMs: 60_000,
        heartbeatIntervalMs: 50,
        killGraceMs: 200,
      }),
    );
    await waitFor(() => beats.length > 0);
    pid = (beats[0] as { pid: number }).pid;
    assert.ok(alive(pid));
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    assert.ok(children.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    env.cancel();
    await assert.rejects(run, (e) => e instanceof CancelledFailure);
    assert.ok(await waitFor(() => !alive(pid)), 'child survived cancellation');
    for (const c of children) assert.ok(await waitFor(() => !alive(c)), `grandchild ${c} survived`);
    assert.ok(beats.length >= 2, 'heartbeats were sent while waiting');
  });
});

describe('withPrivateDir', () => {
  it('0700 dir, 0600 files, removed afterwards', async () => {
    let path = '';
    await withPrivateDir(async (dir) => {
      path = dir.path;
      const f = await dir.write('auth.json', '{}');
      assert.equal(statSync(dir.path).mode & 0o777, 0o700);
      assert.equal(statSync(f).mode & 0o777, 0o600);
    });
    assert.equal(existsSync(path), false);
  });
});

describe('sweepStalePrivateDirs', () => {
  it('removes private dirs of dead processes only', async () => {
    const { mkdirSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { sweepStalePrivateDirs } = await import('../../../src/activities/secrets.js');
    const root = mkdtempSync(join(tmpdir(), 'hp-sweep-'));
    const dead = join(root, 'harbor-promote-4194000-abc'); // beyond any pid in use here
    const mine = join(root, `harbor-promote-${process.pid}-def`);
    const other = join(root, 'unrelated');
    for (const d of [dead, mine, other]) mkdirSync(d);
    assert.deepEqual(sweepStalePrivateDirs(root), ['harbor-promote-4194000-abc']);
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(mine), true);
    assert.equal(existsSync(other), true);
  });
});
