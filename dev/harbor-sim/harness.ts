// Test/bench harness: a private distribution registry on a free port plus an in-process harbor-sim.
import { binaryPath } from '../../scripts/tools';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimServer } from './server';

export const DEFAULT_REGISTRY_BIN = binaryPath('registry');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface RegistryProc {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** Start the distribution registry (REGISTRY_BIN) with filesystem storage and deletes enabled. */
export async function startRegistry(
  bin = process.env.REGISTRY_BIN || DEFAULT_REGISTRY_BIN,
  dir = mkdtempSync(join(tmpdir(), 'hsim-reg-')),
): Promise<RegistryProc> {
  const port = await freePort();
  const cfg = join(dir, 'config.yml');
  writeFileSync(
    cfg,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(bin, ['serve', cfg], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'none' },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/v2/`, 15_000);
  return {
    url,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
    },
  };
}

export interface SimStack {
  url: string;
  host: string;
  registry: RegistryProc;
  sim: SimServer;
  dataDir: string;
  /** stop and start the sim on the same port and data dir (the registry keeps running) */
  restartSim(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimStack(
  opts: { scanDurationMs?: number; registryBin?: string } = {},
): Promise<SimStack> {
  const registry = await startRegistry(opts.registryBin);
  const dataDir = mkdtempSync(join(tmpdir(), 'hsim-data-'));
  const port = await freePort();
  const make = async (): Promise<SimServer> => {
    const sim = SimServer.create({
      registryUrl: registry.url,
      dataDir,
      scanDurationMs: opts.scanDurationMs ?? 300,
    });
    await sim.listen(port);
    return sim;
  };
  const stack: SimStack = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    registry,
    sim: await make(),
    dataDir,
    restartSim: async () => {
      await stack.sim.close();
      stack.sim = await make();
    },
    stop: async () => {
      await stack.sim.close();
      await registry.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(registry.dir, { recursive: true, force: true });
    },
  };
  return stack;
}
