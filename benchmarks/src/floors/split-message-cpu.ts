import { PerformanceObserver } from 'node:perf_hooks';
import { splitMessage } from '@avfleet/core';
import { generateCorpus } from '../corpus/generate-corpus';

/** Messages whose split results stay referenced, as messages in flight hold theirs until answered. */
const HELD = 8;

/**
 * `node benchmarks/dist/benchmarks/src/floors/split-message-cpu.js`: avfleet's own split,
 * decode and hash stage (the built `splitMessage` of @avfleet/core, every part's SHA-256
 * read) over the bench corpus in one process, to compare with its floor (split-by-boundary.ts)
 * and between builds without the rest of the fleet's noise: CPU ms and main-thread GC pause
 * ms per message, a cold pass (the decoded-facts memo empty) then a warm one.
 */
async function main(): Promise<void> {
  const corpus = generateCorpus({ messages: 300, seed: 'avfleet-bench-1' });
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ['gc'] });
  const passes: string[] = [];
  for (const pass of ['cold', 'warm']) {
    const held: unknown[] = [];
    gcMs = 0;
    const t0 = process.cpuUsage();
    for (const m of corpus.messages) {
      const split = await splitMessage(m.bytes);
      for (const p of split.parts) void p.sha256;
      held.push(split);
      if (held.length > HELD) held.shift();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const t = process.cpuUsage(t0);
    const n = corpus.messages.length;
    passes.push(`${pass}: CPU ${((t.user + t.system) / 1000 / n).toFixed(2)} ms, GC pauses ${(gcMs / n).toFixed(2)} ms per message`);
  }
  process.stdout.write(`splitMessage over the bench corpus: ${passes.join(' · ')}\n`);
}

void main();
