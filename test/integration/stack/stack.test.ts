/**
 * The stack's own promises: a port in use gives a clear error; up twice is a no-op; down stops what up
 * started and nothing else; a second down is harmless. Runs a second, private stack on its own ports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StackConfig } from '../../../dev/stack/config';
import { binaryPath } from '../../../scripts/tools';
import { PROMOTION_SEARCH_ATTRIBUTES } from '../../../src/domain/search-attributes';
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

const quiet = () => {};
const run = promisify(execFile);

describe('local stack', () => {
  const c = config(37300);
  after(() => stackDown({ config: c, say: quiet }));

  it('refuses a port that is already in use, naming the port, the service and the variable', async () => {
    const blocker = await listen(37400);
    try {
      const blocked = { ...config(37400) };
      await assert.rejects(
        stackUp({ config: blocked, say: quiet }),
        /port 37400 \(Temporal frontend\) is already in use by another process: stop it, or choose another port with STACK_TEMPORAL_PORT=<port>/,
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

  it('down stops every process it started, leaves strangers alone, and a second down is harmless', async () => {
    const stranger = await listen(37499);
    const pids = (await stackStatus(c)).map((s) => s.pid!);
    await stackDown({ config: c, say: quiet });
    for (const pid of pids) {
      assert.throws(() => readFileSync(`/proc/${pid}/cmdline`), `process ${pid} is gone`);
    }
    const lines: string[] = [];
    await stackDown({ config: c, say: (l) => lines.push(l) });
    assert.ok(
      lines.every((l) => /not running/.test(l)),
      lines.join('\n'),
    );
    assert.ok(stranger.listening, 'an unrelated listener survives');
    stranger.close();
  });
});
