/** `npm run demo`: a whole promotion on the local stack. Filled in by the operator-experience work. */
console.error('demo: not built yet — it needs the worker, the CLI and harbor-sim (see the open issues).');
process.exit(1);
