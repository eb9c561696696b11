/**
 * Regenerates the replay fixtures: `node --import tsx test/workflows/record-histories.ts [scenario …]`
 * (all scenarios by default; name new ones to add them without rewriting the old fixtures).
 * Run it after an intended, patched() change of the workflow; commit the new JSON next to the old ones
 * (old histories must keep replaying: they stand for promotions still running in production).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { scenarios } from './scenarios.js';
import { startTestEnv } from './helpers.js';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');

async function main(only: string[]) {
  const ctx = await startTestEnv();
  try {
    mkdirSync(FIXTURES, { recursive: true });
    for (const [name, run] of Object.entries(scenarios)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const r = await run(ctx);
      // Same format as `temporal workflow show -o json`. (historyToJSON needs one protobufjs 8 copy shared
      // by @temporalio/common and /proto: package.json pins protobufjs 8.8.1 at top level for that.)
      const json = historyToJSON(await r.handle.fetchHistory());
      writeFileSync(join(FIXTURES, `${name}.json`), `${json}\n`);
      const events = (JSON.parse(json) as { events: unknown[] }).events.length;
      console.log(
        `${name}: ${events} events, ${r.error ? `failed (${(r.error as Error).message.split('\n')[0]})` : 'completed'}`,
      );
    }
  } finally {
    await ctx.env.teardown();
  }
}

if (require.main === module)
  void main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
