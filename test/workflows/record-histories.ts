/**
 * Records a new version of replay fixtures: `node --import tsx test/workflows/record-histories.ts [scenario …]`
 * (all scenarios by default). Run it after an intended, patched() change of the workflow, or name a new
 * scenario to add its first fixture. It never overwrites: each history is written under a new name
 * (<scenario>-v<N>.json) and appended to fixtures.sha256, so the old histories stay and keep replaying
 * (they stand for promotions still running in production). Commit both.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { scenarios } from './scenarios.js';
import { startTestEnv } from './helpers.js';
import { FIXTURES, MANIFEST, nextFixtureName } from './fixtures.js';

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
      const file = nextFixtureName(name);
      const text = `${json}\n`;
      writeFileSync(join(FIXTURES, file), text, { flag: 'wx' }); // wx: never replace an old fixture
      appendFileSync(MANIFEST, `${createHash('sha256').update(text).digest('hex')}  ${file}\n`);
      const events = (JSON.parse(json) as { events: unknown[] }).events.length;
      console.log(
        `${file}: ${events} events, ${r.error ? `failed (${(r.error as Error).message.split('\n')[0]})` : 'completed'}`,
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
