/**
 * Real clamd clients against avfleet's clamd front end (--clamd-listen,
 * apps/producer/src/frontends/clamd): a producer and a worker in this process
 * (test/helpers/fleet-under-test.ts) over the test clamd, and
 * - raw INSTREAM with whole messages (examples/samples, and every message of the
 *   shared corpus against a fleet whose rule scans whole messages): FOUND where
 *   the real test clamd finds the virus in the same bytes, OK where it finds nothing;
 * - Debian's `clamdscan --stream` (a config file pointing at avfleet);
 * - a real Rspamd whose antivirus rules (`type = "clamav"`) have `servers` =
 *   avfleet's clamd port, with `scan_mime_parts = true` and `false`, read with `rspamc`;
 * - a second real mail path: swaks → a private Postfix → Debian's clamav-milter
 *   (`ClamdSocket tcp:` avfleet's clamd port) → avfleet.
 * Needs clamdscan, rspamd, postfix, swaks and clamav-milter (.ci/run installs them).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EICAR_TEST_STRING } from '@avfleet/core';
import { startRspamd, type StartedRspamd } from '../../scripts/parity/src/rspamd-instance';
import { startClamavMilter, type ClamavMilter } from '../helpers/clamav-milter-instance';
import { loadCorpus } from '../helpers/corpus';
import { requireExecutable } from '../helpers/daemon-process';
import { freePort } from '../helpers/fleet-processes';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { startPrivatePostfix, type PrivatePostfix } from '../helpers/start-postfix';
import { swaks } from '../helpers/swaks';
import { repoRoot } from '../helpers/repo-root';
import { clamdCommand, clamdInstream } from '../helpers/service-probes';
import { testServices } from '../helpers/test-services';
import { startSlowClamd } from '../simulators/slow-clamd';

jest.setTimeout(120_000);

const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';
const services = testServices();
const dir = mkdtempSync(join(tmpdir(), 'avft-clamdfe-'));
let fleet: FleetUnderTest | null = null;
let rspamd: StartedRspamd | null = null;
let clamdPort = 0;

const avfleet = (): { host: string; port: number } => ({ host: '127.0.0.1', port: clamdPort });

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A message with one base64 attachment; `tag` keeps messages apart. */
function message(tag: string, attachment: string): string {
  const b = `b-${tag}`;
  return [
    'From: sender@example.org', 'To: rcpt@example.org', `Subject: clamd ${tag}`, `Message-ID: <${tag}@avfleet.test>`,
    'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/plain', '', `hello ${tag}`,
    `--${b}`, 'Content-Type: application/octet-stream; name="file.com"', 'Content-Disposition: attachment; filename="file.com"',
    'Content-Transfer-Encoding: base64', '', Buffer.from(attachment, 'latin1').toString('base64'),
    `--${b}--`, '',
  ].join('\r\n');
}

beforeAll(async () => {
  clamdPort = await freePort();
  fleet = await startFleetUnderTest({
    testFile: 'clamd-frontend.int.test.ts',
    conf: [
      'clamav {',
      '  type = "clamav";',
      '  scan_mime_parts = true;',
      '  symbol = "CLAM_VIRUS";',
      '  servers = "${CLAMD}";',
      '  prefix = "${PREFIX}clamav_";',
      '  timeout = 15s;',
      '}',
      '',
    ].join('\n'),
    // Generous for a loaded test machine: every answer here comes long before it.
    env: { AVFLEET_CLAMD_LISTEN: `127.0.0.1:${clamdPort}`, AVFLEET_CLAMD_DEADLINE: '30' },
  });
});

afterAll(async () => {
  await rspamd?.stop();
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('raw clamd protocol', () => {
  it('PING answers PONG and VERSION names avfleet', async () => {
    expect(await clamdCommand(avfleet(), 'PING')).toBe('PONG');
    expect(await clamdCommand(avfleet(), 'VERSION')).toMatch(/^avfleet \d+\.\d+\.\d+$/);
  });

  it('whole raw messages over INSTREAM: FOUND exactly where the real clamd finds the virus, OK for clean ones', async () => {
    const samples = join(repoRoot(), 'examples', 'samples');
    const files = readdirSync(samples).filter((f) => f.endsWith('.eml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(5);
    const rows: string[] = [];
    for (const f of files) {
      const raw = readFileSync(join(samples, f));
      const real = await clamdInstream(services.clamd, raw);
      const ours = await clamdInstream(avfleet(), raw, 40_000);
      rows.push(`${f}: clamd "${real}" avfleet "${ours}"`);
      if (real === 'stream: OK') expect(ours).toBe('stream: OK');
      else {
        expect(real).toMatch(/ FOUND$/);
        expect(ours).toBe(`stream: ${EICAR_NAME} FOUND`);
      }
    }
    // Both kinds are in the samples: the comparison cannot pass by answering one thing.
    expect(rows.filter((r) => r.includes('avfleet "stream: OK"')).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.includes('FOUND"')).length).toBeGreaterThan(0);
  });

  it('a file that is not mail is one file scanned by the rule (the EICAR string itself)', async () => {
    expect(await clamdInstream(avfleet(), Buffer.from(EICAR_TEST_STRING, 'latin1'), 40_000)).toBe(`stream: ${EICAR_NAME} FOUND`);
    expect(await clamdInstream(avfleet(), Buffer.from('plain harmless bytes, not mail\n'), 40_000)).toBe('stream: OK');
  });
});

describe('the whole corpus over INSTREAM, a fleet whose rule scans whole messages', () => {
  it('FOUND for every message in which the real clamd finds something, OK for the others, with its name', async () => {
    const port = await freePort();
    const whole = await startFleetUnderTest({
      testFile: 'clamd-frontend-whole.int.test.ts',
      conf: 'clamav { type = "clamav"; scan_mime_parts = false; symbol = "CLAM_VIRUS"; servers = "${CLAMD}"; prefix = "${PREFIX}whole_"; timeout = 15s; }\n',
      env: { AVFLEET_CLAMD_LISTEN: `127.0.0.1:${port}`, AVFLEET_CLAMD_DEADLINE: '30' },
    });
    try {
      const differ: string[] = [];
      let found = 0;
      const entries = loadCorpus();
      for (const m of entries) {
        const e = m.entry;
        const raw = m.raw();
        const real = await clamdInstream(services.clamd, raw, 30_000);
        const ours = await clamdInstream({ host: '127.0.0.1', port }, raw, 40_000);
        if (real.endsWith(' FOUND')) found++;
        // A heuristic answered from the verdict cache has lost its suffix (Heuristics.Encrypted for .Zip): the prefix must match.
        const same = real === ours || (real.endsWith(' FOUND') && ours.endsWith(' FOUND') && real.startsWith(ours.replace(/ FOUND$/, '')));
        if (!same) differ.push(`${e.file}: clamd "${real}", avfleet "${ours}"`);
      }
      expect(differ).toEqual([]);
      expect(found).toBeGreaterThan(10);
      expect(entries.length - found).toBeGreaterThan(10);
    } finally {
      await whole.close();
    }
  });
});

describe('AVFLEET_CLAMD_DEADLINE', () => {
  it('a scanner that never answers: the clamd client still gets an ERROR by the deadline', async () => {
    const silent = await startSlowClamd({ scenario: 'silent' });
    const port = await freePort();
    const slow = await startFleetUnderTest({
      testFile: 'clamd-frontend-deadline.int.test.ts',
      conf: `clamav { type = "clamav"; scan_mime_parts = true; symbol = "CLAM_VIRUS"; servers = "${silent.host}:${silent.port}"; prefix = "\${PREFIX}dl_"; timeout = 8s; retransmits = 0; }\n`,
      env: { AVFLEET_CLAMD_LISTEN: `127.0.0.1:${port}`, AVFLEET_CLAMD_DEADLINE: '2' },
    });
    try {
      const started = Date.now();
      const reply = await clamdInstream({ host: '127.0.0.1', port }, Buffer.from('a file nobody will scan in time'), 20_000);
      const ms = Date.now() - started;
      expect(reply).toMatch(/^stream: .+ ERROR$/);
      // By the 2 s deadline, within 2× plus a second.
      expect(ms).toBeLessThan(5000);
      expect(ms).toBeGreaterThanOrEqual(1000);
    } finally {
      await slow.close();
      await silent.close();
    }
  });
});

describe("Debian's clamdscan --stream", () => {
  it('EICAR → FOUND (exit 1), a clean file → OK (exit 0), --ping and -V', async () => {
    const clamdscan = requireExecutable('clamdscan', 'clamdscan');
    const conf = join(dir, 'clamd-avfleet.conf');
    writeFileSync(conf, `TCPSocket ${clamdPort}\nTCPAddr 127.0.0.1\n`);
    const eicar = join(dir, 'eicar.com');
    const clean = join(dir, 'clean.txt');
    writeFileSync(eicar, EICAR_TEST_STRING, 'latin1');
    writeFileSync(clean, 'nothing to see here\n');
    const found = await run(clamdscan, [`--config-file=${conf}`, '--stream', '--no-summary', eicar]);
    expect(found.stdout.trim()).toBe(`${eicar}: ${EICAR_NAME} FOUND`);
    expect(found.code).toBe(1);
    const ok = await run(clamdscan, [`--config-file=${conf}`, '--stream', '--no-summary', clean]);
    expect(ok.stdout.trim()).toBe(`${clean}: OK`);
    expect(ok.code).toBe(0);
    const ping = await run(clamdscan, [`--config-file=${conf}`, '--ping', '1']);
    expect(ping.code).toBe(0);
    const version = await run(clamdscan, [`--config-file=${conf}`, '-V']);
    expect(version.stdout.trim()).toMatch(/^avfleet \d+\.\d+\.\d+$/);
  });
});

describe("a real Rspamd's antivirus module with avfleet as its clamd", () => {
  beforeAll(async () => {
    const rspamdPort = await freePort();
    const av = join(dir, 'rspamd-antivirus.conf');
    const rule = (name: string, symbol: string, parts: boolean): string => [
      `${name} {`, '  type = "clamav";', `  scan_mime_parts = ${parts};`, `  symbol = "${symbol}";`,
      `  servers = "127.0.0.1:${clamdPort}";`, '  timeout = 20.0;', '  retransmits = 0;', '}',
    ].join('\n');
    writeFileSync(av, `${rule('clamav_parts', 'CLAM_PARTS', true)}\n${rule('clamav_whole', 'CLAM_WHOLE', false)}\n`);
    rspamd = await startRspamd({ dir: join(dir, 'rspamd'), port: rspamdPort, antivirusConf: av });
  });

  async function rspamc(file: string): Promise<Record<string, { options?: string[] }>> {
    const r = await run('rspamc', ['-h', rspamd!.url.replace('http://', ''), '-t', '60', '-j', file]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { symbols: Record<string, { options?: string[] }> }).symbols;
  }

  it('scan_mime_parts = true (single parts) and false (whole messages): the symbol with the virus name', async () => {
    const infected = join(dir, 'rspamd-eicar.eml');
    writeFileSync(infected, message('rsp-eicar', EICAR_TEST_STRING), 'latin1');
    const symbols = await rspamc(infected);
    expect(symbols.CLAM_PARTS?.options).toEqual([EICAR_NAME]);
    expect(symbols.CLAM_WHOLE?.options).toEqual([EICAR_NAME]);
  });

  it('a clean message gets no antivirus symbol, and no fail symbol', async () => {
    const clean = join(dir, 'rspamd-clean.eml');
    writeFileSync(clean, message('rsp-clean', 'harmless attachment bytes\n'), 'latin1');
    const symbols = await rspamc(clean);
    expect(Object.keys(symbols).filter((s) => s.startsWith('CLAM_'))).toEqual([]);
  });
});

describe('Postfix → clamav-milter → avfleet (a second real mail path)', () => {
  let milter: ClamavMilter | null = null;
  let postfix: PrivatePostfix | null = null;

  beforeAll(async () => {
    milter = await startClamavMilter({ dir: join(dir, 'clamav-milter'), port: await freePort(), clamdSocket: `tcp:127.0.0.1:${clamdPort}` });
    postfix = await startPrivatePostfix({ name: 'clamd-frontend', listeners: [{ port: await freePort(), milter: milter.address }] });
  });

  afterAll(async () => {
    await postfix?.stop();
    await milter?.stop();
  });

  /** swaks' reply to the end of DATA (the milter's verdict as Postfix gives it). */
  async function send(file: string): Promise<string> {
    return (await swaks(postfix?.smtpPort ?? 0, file)).verdict;
  }

  it('a virus is rejected with 550 naming it, clean mail is accepted with 250', async () => {
    const infected = join(dir, 'smtp-eicar.eml');
    const clean = join(dir, 'smtp-clean.eml');
    writeFileSync(infected, message('smtp-eicar', EICAR_TEST_STRING), 'latin1');
    writeFileSync(clean, message('smtp-clean', 'harmless attachment bytes\n'), 'latin1');
    expect(await send(infected)).toMatch(new RegExp(`^550 5\\.7\\.1 .*${EICAR_NAME.replace(/\./g, '\\.')}`));
    expect(await send(clean)).toMatch(/^250 2\.0\.0 Ok: queued as /);
  });
});
