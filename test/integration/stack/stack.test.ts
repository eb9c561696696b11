/**
 * The stack's own promises: a port in use gives a clear error; up twice is a no-op; down stops what up
 * started and nothing else; a second down is harmless. Runs a second, private stack on its own ports
 * (moved by TEST_PORT_OFFSET like the rest of the test stack).
 *
 * The stranger that `down` must spare is a separate process in its own process group: `down` signals
 * process groups, so a listener inside this test process would survive even a `down` that signalled
 * everything it found.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { StackConfig, paths } from '../../../dev/stack/config';
import { SERVICES } from '../../../dev/stack/components';
import { binaryPath } from '../../../scripts/tools';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../../src/workflows/search-attributes';
import { stackDown, stackStatus, stackUp } from '../../../dev/stack/stack';

function config(base: number): StackConfig {
  return {
    dir: mkdtempSync(join(tmpdir(), 'stack-test-')),
    temporalPort: base,
    temporalUiPort: base + 1,
    registryPort: base + 2,
    harborPort: base + 3,
    metricsPort: base + 4,
    harbor: 'sim',
    temporal: 'dev',
    harborRegistryPort: base + 5,
    jobservicePort: base + 6,
    postgresPort: base + 7,
    redisPort: base + 8,
    scannerPort: base + 9,
  };
}

const listen = (port: number) =>
  new Promise<Server>((resolve) => {
    const s = createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

/** A listener in a separate, detached process (its own process group), as an unrelated program would be. */
async function strangerProcess(port: number): Promise<ChildProcess> {
  const code = `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('ready'))`;
  const child = spawn(process.execPath, ['-e', code], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(chunk.toString().trim(), 'ready', 'the stranger listens');
  return child;
}

/**
 * True while the PID runs. A process this test spawned stays a zombie until Node reaps it, and a zombie
 * still has /proc entries and accepts signal 0, so state Z counts as gone.
 */
const running = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

const offset = Number(process.env.TEST_PORT_OFFSET ?? 0);
const quiet = () => {};
const run = promisify(execFile);

describe('local stack', () => {
  const c = config(37300 + offset);
  after(() => stackDown({ config: c, say: quiet }));

  it('refuses a port that is already in use, naming the port, the service and the variable', async () => {
    const port = 37400 + offset;
    const blocker = await listen(port);
    try {
      const blocked = { ...config(port) };
      await assert.rejects(
        stackUp({ config: blocked, say: quiet }),
        new RegExp(
          `port ${port} \\(Temporal frontend\\) is already in use by another process: stop it, or choose another port with STACK_TEMPORAL_PORT=<port>`,
        ),
      );
      assert.deepEqual(
        (await stackStatus(blocked)).filter((s) => s.running),
        [],
        'nothing was started',
      );
    } finally {
      blocker.close();
    }
  });

  it('up starts every service, and a second up starts nothing new', async () => {
    await stackUp({ config: c, say: quiet });
    const first = await stackStatus(c);
    assert.ok(
      first.every((s) => s.running),
      JSON.stringify(first),
    );
    const lines: string[] = [];
    await stackUp({ config: c, say: (l) => lines.push(l) });
    const second = await stackStatus(c);
    assert.deepEqual(
      second.map((s) => s.pid),
      first.map((s) => s.pid),
    );
    assert.ok(lines.some((l) => /already running/.test(l)));
    const res = await fetch(`http://127.0.0.1:${c.registryPort}/v2/`);
    assert.equal(res.status, 200, 'the registry answers /v2/');
    const ui = await fetch(`http://127.0.0.1:${c.temporalUiPort}/`);
    assert.equal(ui.status, 200, 'the Temporal UI answers');
    const { stdout } = await run(binaryPath('temporal'), [
      'operator',
      'search-attribute',
      'list',
      '--address',
      `127.0.0.1:${c.temporalPort}`,
    ]);
    for (const key of PROMOTION_SEARCH_ATTRIBUTES)
      assert.match(stdout, new RegExp(`${key.name}\\s+Keyword`), `${key.name} is registered`);
  });

  it('down stops every process it started, leaves strangers alone (also one a stale PID file names), and a second down is harmless', async () => {
    const strangerPort = 37499 + offset;
    const stranger = await strangerProcess(strangerPort);
    const strangerPid = stranger.pid!;
    try {
      const pids = (await stackStatus(c)).map((s) => s.pid!);
      assert.equal(
        pids.length,
        SERVICES.filter((s) => s.available()).length,
        'every service ran before down',
      );
      await stackDown({ config: c, say: quiet });
      for (const pid of pids) {
        assert.ok(!running(pid), `process ${pid} is gone`);
      }
      assert.ok(running(strangerPid), 'the unrelated process survives down');

      // Stale PID files: each names the stranger's PID (as after a reboot that reused the PID) with the
      // service's real marker. down must see that the PID no longer runs our command and leave it alone.
      const pidDir = paths(c).pids;
      for (const svc of SERVICES) {
        const { marker } = svc.command(c, { temporal: 'temporal', registry: 'registry' });
        writeFileSync(join(pidDir, `${svc.name}.pid`), JSON.stringify({ pid: strangerPid, marker }));
      }
      const lines: string[] = [];
      await stackDown({ config: c, say: (l) => lines.push(l) });
      assert.ok(running(strangerPid), 'the process a stale PID file named survives down');
      assert.ok(await accepts(strangerPort), 'the unrelated listener still accepts connections');
      assert.deepEqual(
        lines,
        [...SERVICES].reverse().map((s) => `stack: ${s.name}: not running`),
        'one "not running" line per service',
      );
      for (const svc of SERVICES)
        assert.ok(!existsSync(join(pidDir, `${svc.name}.pid`)), `the stale ${svc.name}.pid is removed`);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
