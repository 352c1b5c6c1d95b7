/**
 * All ten scanner types in one fleet (issue "All ten scanner types"): the directory
 * configuration test/fixtures/configs/ten-scanners has one rule of each type —
 * clamav against the real test clamd, icap (external_services.conf) against the real
 * c-icap virus_scan, the other eight against their protocol simulators answering
 * "infected". An EICAR attachment posted to a producer started in-process must come
 * back with each rule's own symbol and the reject action. The second configuration
 * (with-down-rule/) adds an eleventh rule whose servers are all closed ports: its
 * `_FAIL` symbol must come within timeout × (retransmits + 1) (margin 2× + 1 s)
 * while the ten other rules report exactly what they reported without it. A third
 * configuration, written by the test, has every type with its servers down next to a
 * working clamav rule: each type's `_FAIL` within its own budget, clamav's virus intact.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { loadAntivirusConfig, resolveFleetSettings, type AntivirusConfig, type FleetSettings } from '@avfleet/config';
import { EICAR_TEST_STRING, NOOP_LOGGER, type ApiVerdict, type ResultSymbol, type ScanResult } from '@avfleet/core';
import { startProducer, type RunningProducer } from '@avfleet/producer';
import { startWorker, type RunningWorker } from '@avfleet/worker';
import { freePort } from '../helpers/fleet-processes';
import { cleanupPrefix, testPrefix, teardownThenDisconnect } from '../helpers/redis-prefix';
import { fixturePath } from '../helpers/repo-root';
import { testServices } from '../helpers/test-services';
import { startAvastSimulator } from '../simulators/avast';
import { startFprotSimulator } from '../simulators/fprot';
import { EICAR_MD5, EICAR_SHA256 } from '../simulators/http-exchange';
import { startKasperskySeSimulator } from '../simulators/kaspersky-se';
import { startKasperskySimulator } from '../simulators/kaspersky';
import { METADEFENDER_PATH, startMetadefenderSimulator } from '../simulators/metadefender';
import { startSavapiSimulator } from '../simulators/savapi';
import type { Simulator } from '../simulators/simulator-server';
import { startSophosSavdiSimulator } from '../simulators/sophos-savdi';
import { startVirustotalSimulator, VIRUSTOTAL_PATH } from '../simulators/virustotal';

jest.setTimeout(120_000);

const FIXTURE = fixturePath('configs', 'ten-scanners');
const FIXTURE_WITH_DOWN = join(FIXTURE, 'with-down-rule');
const SAVAPI_PRODUCT = '12345';
const APIKEY = 'ten-scanners-key';

/** What each rule must add for the EICAR attachment: its symbol and the option(s) naming the finding. */
const EXPECTED: Readonly<Record<string, { symbol: string; options: RegExp }>> = {
  clamav: { symbol: 'T10_CLAMAV', options: /^Eicar-Test-Signature/ },
  fprot: { symbol: 'T10_FPROT', options: /^EICAR_Test_File$/ },
  sophos: { symbol: 'T10_SOPHOS', options: /^EICAR-AV-Test$/ },
  savapi: { symbol: 'T10_SAVAPI', options: /^Eicar-Test-Signature$/ },
  kaspersky: { symbol: 'T10_KASPERSKY', options: /^EICAR-Test-File$/ },
  kaspersky_se: { symbol: 'T10_KASPERSKY_SE', options: /^EICAR-Test-File$/ },
  avast: { symbol: 'T10_AVAST', options: /^Eicar \[Heur\]$/ },
  virustotal: { symbol: 'VIRUSTOTAL_HIGH', options: new RegExp(`^${EICAR_MD5}:61/68$`) },
  metadefender: { symbol: 'METADEFENDER_HIGH', options: new RegExp(`^${EICAR_SHA256}:33/37$`) },
  icap: { symbol: 'T10_ICAP', options: /^Eicar-Test-Signature/ },
};
const TEN_RULES = Object.keys(EXPECTED);

/** The down rule of with-down-rule/: sophos, timeout 1 s, retransmits 2. */
const DOWN_BUDGET_MS = 1 * (2 + 1) * 1000;
const DOWN_LIMIT_MS = 2 * DOWN_BUDGET_MS + 1000;

interface Fleet {
  readonly config: AntivirusConfig;
  scan(raw: Buffer, headers?: Record<string, string>): Promise<{ result: ScanResult; ms: number }>;
  close(): Promise<void>;
}

const services = testServices();
const redis = new IORedis(services.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
const work = mkdtempSync(join(tmpdir(), 'avft-ten-'));
const sims: Simulator<string>[] = [];
const simByRule = new Map<string, Simulator<string>>();
const fleets: Fleet[] = [];
const variables: Record<string, string> = {};

async function startFleet(configDir: string, name: string): Promise<Fleet> {
  const prefix = testPrefix(`ten-scanners-${name}.int.test.ts`);
  const config = loadAntivirusConfig(configDir, { variables: { ...variables, AVF_PREFIX: prefix } });
  const env = {
    AVFLEET_CONFIG: configDir,
    AVFLEET_REDIS_URL: services.redisUrl,
    AVFLEET_STORE: join(work, `store-${name}`),
  };
  const base = resolveFleetSettings({ flags: {}, env, role: 'producer', cwd: work });
  const loopback0 = { host: '127.0.0.1', port: 0 };
  const settings: FleetSettings = { ...base, queuePrefix: prefix.slice(0, -1), listen: loopback0, metricsListen: loopback0 };
  let worker: RunningWorker | null = null;
  let producer: RunningProducer | null = null;
  const close = async (): Promise<void> => {
    await producer?.close();
    await worker?.close();
    await cleanupPrefix(redis, prefix);
  };
  try {
    worker = await startWorker({ settings, config, logger: NOOP_LOGGER, serveOps: false });
    producer = await startProducer({ settings, config, logger: NOOP_LOGGER });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  const url = `http://127.0.0.1:${producer.address.port}/scans?wait=60`;
  const fleet: Fleet = {
    config,
    async scan(raw, headers = {}) {
      const started = Date.now();
      const res = await fetch(url, { method: 'POST', body: raw, headers });
      const ms = Date.now() - started;
      const body = (await res.json()) as unknown;
      if (res.status !== 200) throw new Error(`POST /scans answered ${res.status}: ${JSON.stringify(body)}`);
      return { result: body as ScanResult, ms };
    },
    close,
  };
  fleets.push(fleet);
  return fleet;
}

/** A text part and an EICAR attachment; `tag` keeps Message-IDs apart. */
function eicarMessage(tag: string): Buffer {
  const b = `b-${tag}`;
  return Buffer.from(
    [
      'From: sender@example.org', 'To: rcpt@example.org', `Subject: ten scanners ${tag}`, `Message-ID: <${tag}.${Date.now()}@avfleet.test>`,
      'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, '',
      `--${b}`, 'Content-Type: text/plain', '', `Hello, the attachment is the EICAR test file (${tag}).`,
      `--${b}`, 'Content-Type: application/octet-stream; name="eicar.com"', 'Content-Disposition: attachment; filename="eicar.com"',
      'Content-Transfer-Encoding: base64', '', Buffer.from(EICAR_TEST_STRING, 'latin1').toString('base64'),
      `--${b}--`, '',
    ].join('\r\n'),
    'latin1',
  );
}

const ENVELOPE = { IP: '192.0.2.25', From: 'sender@example.org', Rcpt: 'rcpt@example.org', Helo: 'mx.example.org', 'Queue-Id': 'T10QUEUE1' };

/** The verdicts of the EICAR attachment, rule → verdict. */
function attachmentVerdicts(result: ScanResult): Readonly<Record<string, ApiVerdict>> {
  const part = result.parts.find((p) => p.filename === 'eicar.com');
  if (!part) throw new Error(`no eicar.com part in ${JSON.stringify(result.parts)}`);
  return part.verdicts;
}

/** The symbols the ten rules are expected to add, without scores that depend on the rest of the result. */
function tenSymbols(result: ScanResult): Record<string, Pick<ResultSymbol, 'name' | 'score' | 'options'>> {
  const out: Record<string, Pick<ResultSymbol, 'name' | 'score' | 'options'>> = {};
  for (const rule of TEN_RULES) {
    const s = result.symbols[EXPECTED[rule]!.symbol];
    if (s) out[s.name] = { name: s.name, score: s.score, options: s.options };
  }
  return out;
}

/** Every type with its servers (or url) on closed ports, timeout 1 s, next to a working clamav rule. */
const ALL_DOWN_TIMEOUT_SEC = 1;
const ALL_DOWN_RETRANSMITS = 1;

function writeAllDownConfig(closed: readonly number[]): string {
  const dir = join(work, 'all-down');
  mkdirSync(join(dir, 'local.d'), { recursive: true });
  const servers = `"${closed.map((p) => `127.0.0.1:${p}`).join(',')}"`;
  const block = (rule: string, lines: readonly string[]): string =>
    [`${rule}_down {`, `  type = "${rule}";`, `  symbol = "D10_${rule.toUpperCase()}";`, `  timeout = ${ALL_DOWN_TIMEOUT_SEC}s;`,
      `  retransmits = ${ALL_DOWN_RETRANSMITS};`, '  prefix = "${AVF_PREFIX}' + rule + '_down_";', ...lines.map((l) => `  ${l}`), '}', ''].join('\n');
  const av = TEN_RULES.filter((r) => r !== 'icap').map((rule) => {
    if (rule === 'virustotal') return block(rule, [`url = "http://127.0.0.1:${closed[0]}${VIRUSTOTAL_PATH}";`, `apikey = "${APIKEY}";`]);
    if (rule === 'metadefender') return block(rule, [`url = "http://127.0.0.1:${closed[0]}${METADEFENDER_PATH}";`, `apikey = "${APIKEY}";`]);
    const extra = ['savapi', 'kaspersky', 'avast'].includes(rule) ? ['tmpdir = "${AVF_TMPDIR}";'] : [];
    if (rule === 'savapi') extra.push(`product_id = "${SAVAPI_PRODUCT}";`);
    return block(rule, [`servers = ${servers};`, 'action = "reject";', ...extra]);
  });
  const working = ['clamav {', '  type = "clamav";', '  symbol = "T10_CLAMAV";', '  action = "reject";', '  servers = "${AVF_CLAMD}";', '  timeout = 10s;', '  prefix = "${AVF_PREFIX}clamav_";', '}', ''];
  writeFileSync(join(dir, 'local.d', 'antivirus.conf'), [...working, ...av].join('\n'));
  writeFileSync(join(dir, 'local.d', 'external_services.conf'), block('icap', [`servers = ${servers};`, 'scheme = "${AVF_ICAP_SCHEME}";']));
  return dir;
}

let tenFleet: Fleet;
let withDownFleet: Fleet;
let allDownFleet: Fleet;
let baseline: ScanResult;

beforeAll(async () => {
  const icap = new URL(services.icapUrl);
  const start = async (rule: string, sim: Promise<Simulator<string>>): Promise<string> => {
    const s = await sim;
    sims.push(s);
    simByRule.set(rule, s);
    return `${s.host}:${s.port}`;
  };
  Object.assign(variables, {
    AVF_CLAMD: `${services.clamd.host}:${services.clamd.port}`,
    AVF_ICAP: `${icap.hostname}:${icap.port}`,
    AVF_ICAP_SCHEME: icap.pathname.replace(/^\//, ''),
    AVF_FPROT: await start('fprot', startFprotSimulator('infected') as Promise<Simulator<string>>),
    AVF_SOPHOS: await start('sophos', startSophosSavdiSimulator('infected') as Promise<Simulator<string>>),
    AVF_SAVAPI: await start('savapi', startSavapiSimulator('infected', SAVAPI_PRODUCT) as Promise<Simulator<string>>),
    AVF_SAVAPI_PRODUCT: SAVAPI_PRODUCT,
    AVF_KASPERSKY: await start('kaspersky', startKasperskySimulator('infected') as Promise<Simulator<string>>),
    AVF_KASPERSKY_SE: await start('kaspersky_se', startKasperskySeSimulator('auto') as Promise<Simulator<string>>),
    AVF_AVAST: await start('avast', startAvastSimulator('infected') as Promise<Simulator<string>>),
    AVF_TMPDIR: work,
    AVF_APIKEY: APIKEY,
    AVF_DOWN_1: `127.0.0.1:${await freePort()}`,
    AVF_DOWN_2: `127.0.0.1:${await freePort()}`,
  });
  const vt = await startVirustotalSimulator('auto', { apikey: APIKEY });
  const md = await startMetadefenderSimulator('auto', { apikey: APIKEY });
  sims.push(vt as Simulator<string>, md as Simulator<string>);
  simByRule.set('virustotal', vt as Simulator<string>).set('metadefender', md as Simulator<string>);
  variables['AVF_VIRUSTOTAL_URL'] = `http://${vt.host}:${vt.port}${VIRUSTOTAL_PATH}`;
  variables['AVF_METADEFENDER_URL'] = `http://${md.host}:${md.port}${METADEFENDER_PATH}`;
  tenFleet = await startFleet(FIXTURE, 'ten');
  withDownFleet = await startFleet(FIXTURE_WITH_DOWN, 'down');
  allDownFleet = await startFleet(writeAllDownConfig([await freePort(), await freePort()]), 'all-down');
});

afterAll(() =>
  teardownThenDisconnect(redis, async () => {
    for (const f of fleets) await f.close().catch(() => undefined);
    await Promise.all(sims.map((s) => s.close()));
    rmSync(work, { recursive: true, force: true });
  }),
);

describe('one rule of each of the ten scanner types', () => {
  test('the configuration has exactly one rule per type, each with its own symbol', () => {
    const types = tenFleet.config.rules.map((r) => r.type).sort();
    expect(types).toEqual(['avast', 'clamav', 'fprot', 'icap', 'kaspersky', 'kaspersky_se', 'metadefender', 'savapi', 'sophos', 'virustotal']);
    const symbols = tenFleet.config.rules.map((r) => r.symbol);
    expect(new Set(symbols).size).toBe(10);
    expect(tenFleet.config.rules.find((r) => r.type === 'icap')?.section).toBe('external_services');
  });

  test('an EICAR attachment: every rule reports its own symbol and the action is reject', async () => {
    const { result } = await tenFleet.scan(eicarMessage('ten'), ENVELOPE);
    baseline = result;
    const verdicts = attachmentVerdicts(result);
    for (const rule of TEN_RULES) {
      const v = verdicts[rule];
      const expectedKind = rule === 'virustotal' || rule === 'metadefender' ? 'category' : 'virus';
      expect({ rule, kind: v?.kind, cached: v?.cached }).toEqual({ rule, kind: expectedKind, cached: false });
      const { symbol, options } = EXPECTED[rule]!;
      const s = result.symbols[symbol];
      expect({ rule, symbol: s?.name }).toEqual({ rule, symbol });
      expect({ rule, options: s?.options }).toEqual({ rule, options: [expect.stringMatching(options)] });
      // Nothing failed: no rule's _FAIL symbol.
      expect(result.symbols).not.toHaveProperty(`${symbol}_FAIL`);
    }
    expect(result.symbols).not.toHaveProperty('T10_VIRUSTOTAL_FAIL');
    expect(result.symbols).not.toHaveProperty('T10_METADEFENDER_FAIL');
    expect(result.action).toBe('reject');
    expect(result.queue_id).toBe('T10QUEUE1');
    // Each simulated rule really went through its simulator.
    for (const [rule, sim] of simByRule) expect({ rule, connections: sim.connections > 0 }).toEqual({ rule, connections: true });
    // The file-based scanners were pointed at a private temp file holding the attachment, now removed.
    for (const rule of ['savapi', 'kaspersky', 'avast']) {
      const seen = simByRule.get(rule)!.files;
      expect({ rule, content: seen.at(-1)?.content?.toString('latin1') }).toEqual({ rule, content: EICAR_TEST_STRING });
      expect({ rule, inTmpdir: seen.at(-1)?.path.startsWith(`${work}/`) }).toEqual({ rule, inTmpdir: true });
    }
  });

  test('an eleventh rule whose servers are all down: its _FAIL symbol within its budget, the ten others unaffected', async () => {
    expect(baseline).toBeDefined();
    const down = withDownFleet.config.rules.find((r) => r.name === 'down');
    expect(down?.maxScanTime).toBe(DOWN_BUDGET_MS / 1000);
    const { result } = await withDownFleet.scan(eicarMessage('down'), ENVELOPE);
    const v = attachmentVerdicts(result)['down'];
    expect(v?.kind).toBe('fail');
    expect({ ms: v?.ms, withinLimit: (v?.ms ?? Infinity) <= DOWN_LIMIT_MS }).toEqual({ ms: v?.ms, withinLimit: true });
    expect(result.symbols).toHaveProperty('T10_DOWN_FAIL');
    expect(result.symbols).not.toHaveProperty('T10_DOWN');
    // Same symbols, scores and options as without the broken rule; still reject.
    expect(tenSymbols(result)).toEqual(tenSymbols(baseline));
    expect(Object.keys(tenSymbols(result))).toHaveLength(10);
    for (const rule of TEN_RULES) expect({ rule, kind: attachmentVerdicts(result)[rule]?.kind }).toEqual({ rule, kind: attachmentVerdicts(baseline)[rule]?.kind });
    expect(result.action).toBe('reject');
  });

  test('every type with its servers down: each its own _FAIL within timeout × (retransmits + 1), the working rule unaffected', async () => {
    const rules = allDownFleet.config.rules.filter((r) => r.name.endsWith('_down'));
    expect(rules.map((r) => r.type).sort()).toEqual([...TEN_RULES].sort());
    const { result } = await allDownFleet.scan(eicarMessage('all-down'), ENVELOPE);
    const verdicts = attachmentVerdicts(result);
    for (const rule of rules) {
      const v = verdicts[rule.name];
      const limitMs = 2 * rule.maxScanTime * 1000 + 1000;
      expect(rule.maxScanTime).toBeLessThanOrEqual(ALL_DOWN_TIMEOUT_SEC * (ALL_DOWN_RETRANSMITS + 1));
      expect({ rule: rule.name, kind: v?.kind, withinLimit: (v?.ms ?? Infinity) <= limitMs }).toEqual({ rule: rule.name, kind: 'fail', withinLimit: true });
      expect({ rule: rule.name, fail: result.symbols[rule.symbolFail]?.name }).toEqual({ rule: rule.name, fail: rule.symbolFail });
      expect(result.symbols).not.toHaveProperty(rule.symbol);
    }
    expect(verdicts['clamav']?.kind).toBe('virus');
    expect(result.symbols['T10_CLAMAV']).toEqual(baseline.symbols['T10_CLAMAV']);
    expect(result.action).toBe('reject');
  });
});
