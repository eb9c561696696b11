/** The `harbor-promote` CLI entry (bin/harbor-promote.js runs this through tsx). See src/cli/program.ts. */
import { runCli } from './cli/program.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runCli never throws; this is the last guard so a bug still prints one line.
    process.stderr.write(`harbor-promote: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
