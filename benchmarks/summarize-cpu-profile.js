#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
// `node benchmarks/summarize-cpu-profile.js FILE.cpuprofile… [--top N] [--bench BENCH.json]`: self time by source,
// by function and by stage of the message path of V8 CPU profiles (e.g. from `AVFLEET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench`).
// Runs the compiled bench (benchmarks/dist): `npm run bench -- --help` compiles it.
const { summarizeCpuProfileMain } = require('./dist/benchmarks/src/measure/summarize-cpu-profile.js');
process.exitCode = summarizeCpuProfileMain(process.argv.slice(2));
