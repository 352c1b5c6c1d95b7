#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
// `npm run bench [-- flags]`: compiles benchmarks/src (incremental, a few seconds) with
// benchmarks/tsconfig.json into benchmarks/dist, then runs it. Needs `npm run build` first
// (the bench starts `node apps/cli/bin/avfleet.js producer|worker`). `--help` lists flags.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (!existsSync(path.join(root, 'apps', 'cli', 'dist', 'cli.js'))) {
  process.stderr.write('bench: the avfleet CLI is not built; run `npm ci && npm run build` first.\n');
  process.exit(2);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write('bench: compiling benchmarks/src failed (see above); fix the type errors and run again.\n');
  process.exit(2);
}
const { main } = require('./dist/benchmarks/src/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  },
);
