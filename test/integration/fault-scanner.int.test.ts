import { EICAR_TEST_STRING, type ApiVerdict, type ScanResult } from '@avfleet/core';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { freePort } from '../helpers/fleet-processes';
import { startSlowClamd, type ClamdScenario, type SlowClamd } from '../simulators/slow-clamd';

/**
 * Scanner faults, for real: one rule per way a scanner can break (nothing listening,
 * closing at once, silent past the timeout, TCP reset mid-reply, garbage, drip-feed
 * without ever finishing), next to a working clamav rule. Each broken rule must end as
 * a `fail` verdict within timeout × (1 + retransmits) (margin 2× + 1 s), raise its fail
 * symbol, and leave the working rule's verdict alone; `fail_action` turns a message
 * whose only problem is a failed rule into `soft reject`.
 */

jest.setTimeout(90000);

const TIMEOUT_SEC = 1;
const RETRANSMITS = 1;
const BUDGET_MS = TIMEOUT_SEC * (1 + RETRANSMITS) * 1000;
/** docs/interfaces.md §6.6: at least 2× plus one second. */
const LIMIT_MS = 2 * BUDGET_MS + 1000;

const FAULTS = ['refuse', 'silent', 'reset', 'garbage', 'drip', 'hang'] as const satisfies readonly ClamdScenario[];
type Fault = (typeof FAULTS)[number] | 'down';
const ALL_FAULTS: readonly Fault[] = ['down', ...FAULTS];

const sims: SlowClamd[] = [];
let fleet: FleetUnderTest;
let soloFleet: FleetUnderTest;

function brokenRule(name: Fault, server: string, failAction: boolean): string {
  return `
${name} {
  type = "clamav";
  scan_mime_parts = false;
  symbol = "${name.toUpperCase()}_VIRUS";
  symbol_fail = "${name.toUpperCase()}_FAIL";
  servers = "${server}";
  timeout = ${TIMEOUT_SEC};
  retransmits = ${RETRANSMITS};
  prefix = "\${PREFIX}${name}_";
  ${failAction ? 'fail_action = "soft reject";' : ''}
}`;
}

const workingRule = `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  symbol_fail = "CLAM_VIRUS_FAIL";
  action = "reject";
  servers = "\${CLAMD}";
  timeout = 10;
  prefix = "\${PREFIX}clamav_";
}`;

function message(tag: string, body: string): Buffer {
  return Buffer.from(
    [`From: a@example.org`, `To: b@example.org`, `Subject: scanner faults ${tag}`, `Message-ID: <${tag}.${Date.now()}@avfleet.test>`, '', body, ''].join('\r\n'),
    'latin1',
  );
}

async function scanOk(f: FleetUnderTest, raw: Buffer): Promise<{ result: ScanResult; ms: number }> {
  const started = Date.now();
  const r = await f.scan(raw);
  const ms = Date.now() - started;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.body)}`);
  return { result: r.body as unknown as ScanResult, ms };
}

function verdictOf(result: ScanResult, rule: string): ApiVerdict {
  const v = result.message_verdicts?.[rule];
  if (!v) throw new Error(`no verdict for rule ${rule} in ${JSON.stringify(result)}`);
  return v;
}

beforeAll(async () => {
  const servers = new Map<Fault, string>();
  servers.set('down', `127.0.0.1:${await freePort()}`); // nothing listens there
  for (const f of FAULTS) {
    const sim = await startSlowClamd({ scenario: f });
    sims.push(sim);
    servers.set(f, `127.0.0.1:${sim.port}`);
  }
  // Only `silent` carries fail_action: its fail alone decides the action of a clean message.
  const conf = [workingRule, ...ALL_FAULTS.map((f) => brokenRule(f, servers.get(f)!, f === 'silent'))].join('\n');
  fleet = await startFleetUnderTest({ testFile: 'fault-scanner-all.int.test.ts', conf });
  // Two rules, one broken and without fail_action: the working rule's answer decides.
  soloFleet = await startFleetUnderTest({
    testFile: 'fault-scanner-solo.int.test.ts',
    conf: [workingRule, brokenRule('reset', servers.get('reset')!, false)].join('\n'),
  });
});

afterAll(async () => {
  await fleet?.close();
  await soloFleet?.close();
  await Promise.all(sims.map((s) => s.close()));
});

describe('scanner faults end as fail verdicts within their time budget', () => {
  test('a clean message: every broken rule fails in time, the working rule says clean, fail_action gives soft reject', async () => {
    const { result, ms } = await scanOk(fleet, message('clean', 'Nothing to see here.'));
    expect(verdictOf(result, 'clamav').kind).toBe('clean');
    for (const f of ALL_FAULTS) {
      const v = verdictOf(result, f);
      expect({ rule: f, kind: v.kind }).toEqual({ rule: f, kind: 'fail' });
      if (v.kind === 'fail') expect(['error', 'timeout']).toContain(v.reason);
      expect({ rule: f, withinLimit: v.ms <= LIMIT_MS, ms: v.ms }).toEqual({ rule: f, withinLimit: true, ms: v.ms });
      expect(result.symbols).toHaveProperty(`${f.toUpperCase()}_FAIL`);
      expect(result.symbols).not.toHaveProperty(`${f.toUpperCase()}_VIRUS`);
    }
    // Silent, drip and hang never finish a reply: only the timeout can end them.
    for (const f of ['silent', 'drip', 'hang'] as const) {
      const v = verdictOf(result, f);
      if (v.kind === 'fail') expect({ rule: f, reason: v.reason }).toEqual({ rule: f, reason: 'timeout' });
    }
    expect(result.symbols).not.toHaveProperty('CLAM_VIRUS');
    expect(result.symbols).not.toHaveProperty('CLAM_VIRUS_FAIL');
    expect(result.action).toBe('soft reject');
    // The broken rules run in parallel: the whole message is bounded by one budget, not six.
    expect(ms).toBeLessThan(LIMIT_MS + 2000);
  });

  test('EICAR: the working rule still finds the virus and its reject wins over fail_action', async () => {
    const { result } = await scanOk(fleet, message('eicar', EICAR_TEST_STRING));
    expect(verdictOf(result, 'clamav')).toMatchObject({ kind: 'virus' });
    expect(result.symbols).toHaveProperty('CLAM_VIRUS');
    for (const f of ALL_FAULTS) expect(verdictOf(result, f).kind).toBe('fail');
    expect(result.action).toBe('reject');
  });

  test('two rules, one broken without fail_action: the message is judged by the working rule alone', async () => {
    const clean = await scanOk(soloFleet, message('solo-clean', 'Just text.'));
    expect(verdictOf(clean.result, 'clamav').kind).toBe('clean');
    expect(verdictOf(clean.result, 'reset').kind).toBe('fail');
    expect(clean.result.symbols).toHaveProperty('RESET_FAIL');
    expect(clean.result.action).toBe('no action');
    const bad = await scanOk(soloFleet, message('solo-eicar', EICAR_TEST_STRING));
    expect(bad.result.symbols).toHaveProperty('CLAM_VIRUS');
    expect(bad.result.action).toBe('reject');
  });

  test('fail verdicts are never cached: a second scan asks the broken scanner again', async () => {
    const sim = sims[FAULTS.indexOf('garbage')]!;
    const raw = message('again', 'Same body twice.');
    await scanOk(fleet, raw);
    const before = sim.streams;
    const { result } = await scanOk(fleet, raw);
    expect(verdictOf(result, 'garbage')).toMatchObject({ kind: 'fail', cached: false });
    expect(sim.streams).toBeGreaterThan(before);
  });
});
