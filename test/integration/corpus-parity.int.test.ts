import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import type { ScanResult } from '@avfleet/core';
import { corpusDir, loadManifest, type CorpusEntry } from '../helpers/corpus';
import { renderTestConfig, startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';

/**
 * Parity with Rspamd on the whole corpus: every message of ../shared/corpus/manifest.jsonl
 * (real/ and generated/) goes through one `avfleet producer` + `avfleet worker` pair (separate
 * processes) configured exactly like the reference rule (test/fixtures/configs/reference-clamav.conf,
 * see the corpus README, "Reference results from Rspamd"), against clamd with the same signature
 * database and settings. avfleet's AV symbols (each with its sorted options) and its action must
 * equal `rspamd_av` / `rspamd_action`, except for the messages listed below, each with the
 * reason and the result avfleet gives instead.
 */

jest.setTimeout(240000);

/** What the comparison looks at: the action and the AV symbols with their sorted options. */
interface AvOutcome {
  readonly action: string;
  readonly av: Readonly<Record<string, readonly string[]>>;
}

interface KnownDifference {
  /** Why avfleet's result differs from Rspamd's for this message. */
  readonly why: string;
  /** The result avfleet must give instead. */
  readonly avfleet: AvOutcome;
}

const EICAR = 'Eicar-Test-Signature.UNOFFICIAL';

/** Deliberate differences from Rspamd (semantics.md §13), by message. */
const DELIBERATE: Readonly<Record<string, KnownDifference>> = {
  'generated/eicar_uuencode_in_body.eml': {
    why:
      'D49: the uuencoded block inside the text body is decoded into a part of its own and scanned; ' +
      'Rspamd only sees a text part, which scan_text_mime = false leaves out',
    avfleet: { action: 'reject', av: { CLAM_VIRUS: [EICAR] } },
  },
  'real/php-mime-mail-parser__issue274.eml': {
    why:
      'D48: the attached message test-localhost.eml (message/rfc822, base64) is opened and only its leaves are scanned ' +
      '(all clean); Rspamd also scans the attached message whole, and that scan ended in CLAM_VIRUS_FAIL ' +
      '"failed to scan and retransmits exceed". clamd itself answers OK for the decoded attached message and for every leaf',
    avfleet: { action: 'no action', av: {} },
  },
};

/** Reference results that come from a part of Rspamd other than the antivirus module. */
const OUTSIDE_ANTIVIRUS: Readonly<Record<string, KnownDifference>> = {
  'real/rspamd__gtube.eml': {
    why:
      'Rspamd itself rejects any message with the GTUBE test string (its built-in GTUBE check forces the action); ' +
      'no AV symbol is involved. avfleet implements the antivirus module only',
    avfleet: { action: 'no action', av: {} },
  },
};

function expectedFor(e: CorpusEntry): AvOutcome {
  const known = DELIBERATE[e.file] ?? OUTSIDE_ANTIVIRUS[e.file];
  return known ? known.avfleet : { action: e.rspamd_action, av: sortedOptions(e.rspamd_av) };
}

function sortedOptions(symbols: Readonly<Record<string, readonly string[] | undefined>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, options] of Object.entries(symbols)) out[name] = [...(options ?? [])].sort();
  return out;
}

function outcomeOf(r: ScanResult): AvOutcome {
  const av: Record<string, readonly string[]> = {};
  for (const [name, s] of Object.entries(r.symbols)) av[name] = s.options ?? [];
  return { action: r.action, av: sortedOptions(av) };
}

const services = testServices();
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
const prefix = testPrefix('corpus-parity');
const manifest = loadManifest();
const corpus = corpusDir();
const outcomes = new Map<string, AvOutcome | Error>();
const cleanupDirs: string[] = [];
let fleet: Fleet | undefined;

const IN_FLIGHT = 16;

async function scanFile(f: Fleet, file: string): Promise<AvOutcome> {
  const body = readFileSync(join(corpus, file));
  const res = await fetch(`${f.apiUrl}/scans?wait=120`, { method: 'POST', body, headers: { 'content-type': 'message/rfc822' } });
  const json = (await res.json()) as unknown;
  if (res.status !== 200) throw new Error(`POST /scans for ${file} answered ${res.status}: ${JSON.stringify(json)}`);
  const r = json as ScanResult;
  if (r.state !== 'done') throw new Error(`scan of ${file} not done: ${JSON.stringify(json)}`);
  return outcomeOf(r);
}

beforeAll(async () => {
  const configPath = renderTestConfig('reference-clamav.conf', {
    CLAMD: `${services.clamd.host}:${services.clamd.port}`,
    PREFIX: `${prefix}cache_`,
  });
  cleanupDirs.push(dirname(configPath));
  const storeDir = mkdtempSync(join(tmpdir(), 'avft-corpus-store-'));
  cleanupDirs.push(storeDir);
  fleet = await startFleet({
    configPath,
    env: {
      AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1),
      AVFLEET_REDIS_URL: services.redisUrl,
      AVFLEET_STORE: storeDir,
      AVFLEET_CONCURRENCY: String(IN_FLIGHT),
    },
  });
  const f = fleet;
  const queue = manifest.map((e) => e.file);
  const runOne = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      outcomes.set(file, await scanFile(f, file).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, runOne));
});

afterAll(async () => {
  await fleet?.stop();
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
});

test('the corpus is complete: real/ and generated/ messages with reference results', () => {
  expect(manifest.length).toBeGreaterThanOrEqual(196);
  expect(manifest.filter((e) => e.file.startsWith('real/')).length).toBeGreaterThanOrEqual(138);
  expect(manifest.filter((e) => e.file.startsWith('generated/')).length).toBeGreaterThanOrEqual(58);
  expect(manifest.every((e) => typeof e.rspamd_action === 'string' && typeof e.rspamd_av === 'object')).toBe(true);
});

test('every listed difference names a corpus message and really differs from the reference', () => {
  const byFile = new Map(manifest.map((e) => [e.file, e]));
  for (const [file, known] of Object.entries({ ...DELIBERATE, ...OUTSIDE_ANTIVIRUS })) {
    const e = byFile.get(file);
    expect(e).toBeDefined();
    if (!e) continue;
    expect(known.avfleet).not.toEqual({ action: e.rspamd_action, av: sortedOptions(e.rspamd_av) });
  }
  for (const known of Object.values(DELIBERATE)) expect(known.why).toMatch(/^D\d+: /);
});

describe.each(manifest.map((e) => [e.file, e] as const))('%s', (file, entry) => {
  const known = DELIBERATE[file] ?? OUTSIDE_ANTIVIRUS[file];
  const title = known ? `gives avfleet's own result (${known.why.split(':')[0]})` : 'gives the AV symbols and action Rspamd gave';
  test(title, () => {
    const got = outcomes.get(file);
    if (got instanceof Error) throw new Error(`${got.message}\n${fleet?.logs() ?? ''}`);
    expect(got).toEqual(expectedFor(entry));
  });
});
