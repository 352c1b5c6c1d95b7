/**
 * `npm run parity`: runs every corpus message (the generated corpus, plus the shared one when
 * present: test/corpus/README.md) through Rspamd 3.4's antivirus module and
 * through avfleet, with the same antivirus.conf and the same clamd, and compares the AV
 * symbols (with sorted options) and the action per message. Differences are identical,
 * explained by a numbered decision (docs/decisions.md + known-differences.json), or
 * UNEXPLAINED; any unexplained difference makes the exit status 1.
 *
 * Usage: node …/run-parity.js [--json OUT.json] [--keep] [SUBSTRING…]
 *   SUBSTRING…  only the corpus files whose path contains one of them
 * Environment: AVFLEET_PARITY_CLAMD_PORT (13320), AVFLEET_PARITY_RSPAMD_PORT (13333),
 *   AVFLEET_PARITY_REDIS_URL (redis://127.0.0.1:6379/15), AVFLEET_CORPUS.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Redis from 'ioredis';
import { loadCorpus, type CorpusMessage } from '../../../test/helpers/corpus';
import { repoRoot, repoTmpPath } from '../../../test/helpers/repo-root';
import { startClamd } from '../../../test/helpers/start-clamd';
import { startAvfleetFleet } from './avfleet-side';
import { classify } from './classify';
import { formatReport, type MessageRow } from './format-report';
import { loadDecisions, loadKnownDifferences } from './known-differences';
import { checkAgainstManifest, type ManifestMismatch } from './manifest-check';
import { renderReferenceRule } from './reference-rule';
import { startRspamd } from './rspamd-instance';
import { scanWithRspamc } from './rspamd-side';

const IN_FLIGHT = 4;
const MESSAGE_TIMEOUT_SEC = 120;

interface Args {
  readonly filters: string[];
  readonly jsonOut: string | null;
  readonly keep: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const filters: string[] = [];
  let jsonOut: string | null = null;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') jsonOut = argv[++i] ?? null;
    else if (argv[i] === '--keep') keep = true;
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}; use --json OUT.json, --keep or corpus path substrings`);
    else filters.push(argv[i]);
  }
  return { filters, jsonOut, keep };
}

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number.parseInt(v, 10) : fallback;
}

/** Deletes this run's keys (queue prefix and cache prefix) from the parity Redis database. */
async function deleteKeys(redisUrl: string, prefixes: readonly string[]): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const decisions = loadDecisions(join(root, 'docs', 'decisions.md'));
  const known = loadKnownDifferences(join(root, 'scripts', 'parity', 'known-differences.json'), decisions);
  const messages = loadCorpus().filter((m) => args.filters.length === 0 || args.filters.some((f) => m.entry.file.includes(f)));
  const entries = messages.map((m) => m.entry);
  if (entries.length === 0) throw new Error(`no corpus message matches ${args.filters.join(', ')}`);

  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const work = repoTmpPath(`parity-${runId}`);
  mkdirSync(work, { recursive: true });
  const redisUrl = process.env.AVFLEET_PARITY_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
  const queuePrefix = `avf-parity-${runId}`;
  const cachePrefix = `avf-parity-cache-${runId}:`;
  const clamdPort = intEnv('AVFLEET_PARITY_CLAMD_PORT', 13320);
  const rspamdPort = intEnv('AVFLEET_PARITY_RSPAMD_PORT', 13333);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn().catch((e: Error) => process.stderr.write(`cleanup: ${e.message}\n`));
    cleanups.length = 0;
  };
  const onSignal = (): void => {
    process.stderr.write('parity: interrupted, stopping services\n');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    cleanups.push(async () => {
      if (!args.keep) rmSync(work, { recursive: true, force: true });
    });
    process.stderr.write(`parity: starting clamd on 127.0.0.1:${clamdPort}\n`);
    const clamd = await startClamd({ dir: join(work, 'clamd'), tcpPort: clamdPort });
    cleanups.push(() => clamd.stop());

    const confPath = join(work, 'antivirus.conf');
    writeFileSync(confPath, renderReferenceRule(`127.0.0.1:${clamdPort}`, cachePrefix));

    process.stderr.write(`parity: starting rspamd on 127.0.0.1:${rspamdPort}\n`);
    const rspamd = await startRspamd({ dir: join(work, 'rspamd'), port: rspamdPort, antivirusConf: confPath });
    cleanups.push(() => rspamd.stop());

    process.stderr.write(`parity: starting avfleet (producer + worker, ${redisUrl}, prefix ${queuePrefix})\n`);
    cleanups.push(() => deleteKeys(redisUrl, [queuePrefix, cachePrefix]));
    const fleet = await startAvfleetFleet({ configPath: confPath, redisUrl, queuePrefix, storeDir: join(work, 'store') });
    cleanups.push(() => fleet.close());

    // rspamc and the fleet read files: generated messages are written into the work folder first.
    const generatedDir = join(work, 'generated');
    mkdirSync(generatedDir, { recursive: true });
    const pathOf = (m: CorpusMessage): string => {
      if (m.path !== null) return m.path;
      const path = join(generatedDir, basename(m.entry.file));
      writeFileSync(path, m.raw());
      return path;
    };
    const paths = messages.map(pathOf);

    const rows: MessageRow[] = new Array(entries.length);
    const manifest: (ManifestMismatch | null)[] = new Array(entries.length);
    let next = 0;
    let done = 0;
    const runOne = async (): Promise<void> => {
      for (let i = next++; i < entries.length; i = next++) {
        const e = entries[i];
        const path = paths[i];
        const [r, a] = await Promise.all([
          scanWithRspamc(`127.0.0.1:${rspamdPort}`, path, MESSAGE_TIMEOUT_SEC),
          fleet.scan(path, MESSAGE_TIMEOUT_SEC * 1000),
        ]);
        rows[i] = { file: e.file, rspamd: r, avfleet: a, verdict: classify(r, a, known.byFile.get(e.file)) };
        manifest[i] = checkAgainstManifest(e, r, known.manifestNotes.get(e.file) ?? null);
        if (++done % 20 === 0) process.stderr.write(`parity: ${done}/${entries.length}\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, entries.length) }, runOne));

    const mismatches = manifest.filter((m): m is ManifestMismatch => m !== null);
    process.stdout.write(`${formatReport(rows, decisions, mismatches)}\n`);
    if (args.jsonOut) {
      writeFileSync(args.jsonOut, `${JSON.stringify({ rows, manifestMismatches: mismatches }, null, 2)}\n`);
    }
    if (args.keep) process.stderr.write(`parity: kept ${work} (logs of clamd and rspamd)\n`);
    return rows.some((r) => r.verdict.kind === 'unexplained') ? 1 : 0;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`parity: ${err.message}\n`);
    process.exit(2);
  },
);
