#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in ../dist (run `npm run build` first).
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
