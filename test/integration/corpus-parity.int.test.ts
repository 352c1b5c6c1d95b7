import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import type { ScanResult } from '@avfleet/core';
import { loadCorpus, type CorpusEntry } from '../helpers/corpus';
import { renderTestConfig, startFleet, type Fleet } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { testServices } from '../helpers/test-services';

/**
 * Parity with Rspamd on the whole test corpus: every generated message (test/corpus/README.md),
 * plus every message of ../shared/corpus/manifest.jsonl when it is there, goes through one
 * `avfleet producer` + `avfleet worker` pair (separate processes) configured exactly like the
 * reference rule (test/fixtures/configs/reference-clamav.conf), against clamd with the test
 * signature database and settings. avfleet's AV symbols (each with its sorted options) and its
 * action must equal `rspamd_av` / `rspamd_action` (for generated messages: what the generator
 * derives from what it built), except for the shared messages listed below, each with the reason
 * and the result avfleet gives instead.
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

/** Deliberate differences from Rspamd (docs/decisions.md), by message. */
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
const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const prefix = testPrefix('corpus-parity');
const corpus = loadCorpus();
const manifest = corpus.map((m) => m.entry);
const bytesOf = new Map(corpus.map((m) => [m.entry.file, m]));
const outcomes = new Map<string, AvOutcome | Error>();
const cleanupDirs: string[] = [];
let fleet: Fleet | undefined;

const IN_FLIGHT = 16;

async function scanFile(f: Fleet, file: string): Promise<AvOutcome> {
  const body = bytesOf.get(file)!.raw();
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

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    await fleet?.stop();
    await cleanupPrefix(redis, prefix);
    for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
  }),
);

const shared = corpus.some((m) => m.origin === 'shared');

test('the corpus is complete: the generated messages (and the shared real/ and generated/ ones when present) with reference results', () => {
  const generated = corpus.filter((m) => m.origin === 'generated').map((m) => m.entry);
  expect(generated.length).toBeGreaterThanOrEqual(30);
  // The generated corpus covers both outcomes and every AV symbol the reference rule can give for it.
  expect(new Set(generated.map((e) => e.rspamd_action))).toEqual(new Set(['reject', 'no action']));
  expect(new Set(generated.flatMap((e) => Object.keys(e.rspamd_av)))).toEqual(new Set(['CLAM_VIRUS', 'CLAM_VIRUS_ENCRYPTED']));
  if (shared) {
    expect(manifest.filter((e) => e.file.startsWith('real/')).length).toBeGreaterThanOrEqual(138);
    expect(manifest.filter((e) => e.file.startsWith('generated/')).length).toBeGreaterThanOrEqual(58);
  }
  expect(manifest.every((e) => typeof e.rspamd_action === 'string' && typeof e.rspamd_av === 'object')).toBe(true);
});

(shared ? test : test.skip)('every listed difference names a shared corpus message and really differs from the reference', () => {
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
