// harbor-sim CLI: tsx dev/harbor-sim/main.ts --listen 127.0.0.1:8080 --registry http://127.0.0.1:5001 --data DIR
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SimServer } from './server';

const Args = z.object({
  listen: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port'),
  registry: z.string().url(),
  data: z.string().min(1),
  'scan-duration-ms': z.coerce.number().int().min(-1).default(1500),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', default: '127.0.0.1:8080' },
      registry: { type: 'string', default: 'http://127.0.0.1:5001' },
      data: { type: 'string', default: process.env.HARBOR_SIM_DATA ?? '.data/stack/harbor-sim' },
      'scan-duration-ms': { type: 'string', default: '1500' },
    },
  });
  const args = Args.parse(values);
  const [host, port] = args.listen.split(':') as [string, string];
  const sim = SimServer.create({
    registryUrl: args.registry,
    dataDir: args.data,
    scanDurationMs: args['scan-duration-ms'],
    log: (m) => console.error(`[harbor-sim] ${m}`),
  });
  const addr = await sim.listen(Number(port), host);
  console.error(
    `[harbor-sim] listening on http://${addr.address}:${addr.port} (registry ${args.registry}, data ${args.data})`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`[harbor-sim] fatal: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
