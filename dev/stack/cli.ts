/**
 * `npm run stack -- up [--harbor sim|real] [--temporal dev|postgres]|down|status|env|logs [service]`
 * `--harbor real` (or STACK_HARBOR=real) runs Harbor v2.15.2 built from source instead of harbor-sim;
 * `--temporal postgres` (or STACK_TEMPORAL=postgres) runs temporal-server v1.29.1 on PostgreSQL instead of
 * the CLI's dev server (no UI then). The choices are remembered in $STACK_DIR/harbor-kind and
 * temporal-kind, so status, env, logs and down need no flag.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binaryPath, isBuilt, loadTools, TOOL_ENV } from '../../scripts/tools';
import { parseHarborKind, parseTemporalKind, paths, stackConfig } from './config';
import { servicesOf } from './components';
import { envLines, stackDown, stackEnv, stackStatus, stackUp } from './stack';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { harbor: { type: 'string' }, temporal: { type: 'string' } },
  });
  const [command, arg] = positionals;
  const config = stackConfig();
  if (values.harbor !== undefined) {
    if (command !== 'up')
      throw new Error('--harbor is an option of `up` only; status, env and down follow up');
    config.harbor = parseHarborKind(values.harbor, '--harbor');
  }
  if (values.temporal !== undefined) {
    if (command !== 'up')
      throw new Error('--temporal is an option of `up` only; status, env and down follow up');
    config.temporal = parseTemporalKind(values.temporal, '--temporal');
  }
  switch (command) {
    case 'up': {
      await stackUp({ config });
      return 0;
    }
    case 'down':
      await stackDown({ config });
      return 0;
    case 'status': {
      const rows = await stackStatus(config);
      for (const r of rows)
        console.log(`${r.name.padEnd(18)} ${r.running ? `running (pid ${r.pid})` : 'stopped'}  ${r.url}`);
      return rows.every((r) => r.running) ? 0 : 3;
    }
    case 'env': {
      const env = stackEnv(config);
      const tools = loadTools();
      for (const [name, spec] of Object.entries(tools)) {
        if (isBuilt(name, spec)) env[TOOL_ENV[name]!] = binaryPath(name, tools);
      }
      console.log(envLines(env));
      return 0;
    }
    case 'logs': {
      const names = arg ? [arg] : servicesOf(config).map((s) => s.name);
      for (const name of names) {
        const file = join(paths(config).logs, `${name}.log`);
        if (!existsSync(file)) continue;
        const lines = readFileSync(file, 'utf8').split('\n').slice(-40);
        console.log(`==> ${file} <==\n${lines.join('\n')}`);
      }
      return 0;
    }
    default:
      console.error(
        'usage: npm run stack -- up [--harbor sim|real] [--temporal dev|postgres]|down|status|env|logs [service]',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`stack: ${err.message}`);
    process.exit(1);
  },
);
