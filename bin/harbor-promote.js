#!/usr/bin/env node
// The package bin: runs the TypeScript CLI through tsx so no build step is needed.
require('tsx/cjs');
require('../src/client.ts');
