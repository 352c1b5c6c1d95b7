#!/usr/bin/env -S node --initial-old-space-size=64
'use strict';
// Thin launcher: the compiled CLI lives in ../dist (run `npm run build` first).
// The Node flags on the first line are part of how avfleet runs (docs/decisions.md D64): V8
// starts the old generation at 64 MB instead of sizing it from the first few megabytes, so a
// producer's garbage collector does not mark its heap almost without pause. They apply when this
// file is executed (`avfleet …`, the Docker image); `node apps/cli/bin/avfleet.js` must pass them
// itself (test/helpers/fleet-processes.ts reads them from here).
const path = require('node:path');
let main;
try {
  main = require(path.join(__dirname, '..', 'dist', 'cli.js')).main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('avfleet: the CLI is not built yet; run `npm ci && npm run build` in the avfleet checkout first.\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`avfleet: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);
