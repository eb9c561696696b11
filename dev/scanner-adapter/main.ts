// Harbor scanner adapter (Pluggable Scanner Adapter API v1.1) for the apk fixture advisories:
//   SCANNER_ADAPTER_PORT=8090 [SCANNER_ADVISORIES=dev/harbor-sim/advisories.json] npx tsx dev/scanner-adapter/main.ts
// Listens on 127.0.0.1 only. One log line per scan on stderr; credentials are never logged.
import { resolve } from 'node:path';
import { z } from 'zod';
import { ADVISORIES_PATH } from '../harbor-sim/apk';
import { ScannerAdapter } from './server';

const Env = z.object({
  SCANNER_ADAPTER_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole port number')
    .min(1, 'must be 1–65535')
    .max(65535, 'must be 1–65535'),
  SCANNER_ADVISORIES: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const r = Env.safeParse(process.env);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const name = String(i.path[0] ?? '');
    const why = process.env[name] === undefined ? 'is not set' : i.message;
    console.error(`[scanner-adapter] ${name} ${why}; e.g. SCANNER_ADAPTER_PORT=8090`);
    process.exit(2);
  }
  const advisoriesPath = resolve(r.data.SCANNER_ADVISORIES ?? ADVISORIES_PATH);
  let adapter: ScannerAdapter;
  try {
    adapter = new ScannerAdapter({ advisoriesPath });
  } catch (e) {
    console.error(`[scanner-adapter] ${e instanceof Error ? e.message : String(e)} (set SCANNER_ADVISORIES)`);
    process.exit(2);
  }
  const { url } = await adapter.listen(r.data.SCANNER_ADAPTER_PORT, '127.0.0.1');
  console.error(`[scanner-adapter] listening on ${url}/api/v1 (advisories ${advisoriesPath})`);
  const stop = (): void => {
    void adapter.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
