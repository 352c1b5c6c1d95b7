import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli';
import type { CliIo } from './command-args';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'avfleet-cli-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env, cwd: dir, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

const CLAMAV = `clamav {
  servers = "127.0.0.1:3310";
  symbol = "CLAM_VIRUS";
  timeout = 10;
  retransmits = 2;
}
`;

describe('avfleet config check', () => {
  it('prints one summary line per rule with the worst-case time, exit 0', async () => {
    const path = file('antivirus.conf', `${CLAMAV}sophos {\n  servers = "master-slave:10.0.0.1:4010:10,/run/savdi.sock";\n}\n`);
    const r = await run(['config', 'check', path]);
    // Neither rule sets fail_action: one AVF_WARN_RULE_NO_FAIL_ACTION warning each, at its block.
    expect(r.err.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${escape(path)}:1:1: warning: rule "clamav": no fail_action, .*CLAM_VIRUS_FAIL.*padded past the scanner's size limit`)),
      expect.stringMatching(new RegExp(`^${escape(path)}:7:1: warning: rule "sophos": no fail_action, .*SOPHOS_FAIL`)),
    ]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('clamav: type clamav, servers 127.0.0.1:3310, symbol CLAM_VIRUS, worst-case time 30 s (timeout 10 s × (1 + 2 retransmits))');
    expect(lines[1]).toMatch(/^sophos: type sophos, servers master-slave:10\.0\.0\.1:4010:10,\/run\/savdi\.sock, symbol SOPHOS, worst-case time \d+(\.\d+)? s/);
  });

  it('says nothing about fail_action when every rule sets it (here or in force_actions.conf is covered by the config tests)', async () => {
    const path = file('antivirus.conf', CLAMAV.replace('retransmits = 2;', 'retransmits = 2;\n  fail_action = "soft reject";'));
    const r = await run(['config', 'check', path]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('warns about a milter or clamd deadline over the 300 s cap (AVF_WARN_DEADLINE_CAPPED), from the environment or the settings file; still exit 0', async () => {
    const path = file('antivirus.conf', CLAMAV.replace('retransmits = 2;', 'retransmits = 2;\n  fail_action = "soft reject";'));
    const r = await run(['config', 'check', path], { AVFLEET_MILTER_DEADLINE: '600', AVFLEET_CLAMD_DEADLINE: '301' });
    expect(r.code).toBe(0);
    expect(r.err.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^warning: AVFLEET_MILTER_DEADLINE is 600 s, over the 300 s every answer is capped to: the milter answers by 300 s/),
      expect.stringMatching(/^warning: AVFLEET_CLAMD_DEADLINE is 301 s, over the 300 s every answer is capped to: the clamd front end answers by 300 s/),
    ]);
    const settings = file('settings.yaml', 'milter_deadline: 10m\n');
    const fromFile = await run(['config', 'check', path], { AVFLEET_SETTINGS: settings });
    expect(fromFile.err).toMatch(/^warning: AVFLEET_MILTER_DEADLINE is 600 s/m);
    // Up to the cap: nothing to say.
    expect((await run(['config', 'check', path], { AVFLEET_MILTER_DEADLINE: '300', AVFLEET_CLAMD_DEADLINE: '300' })).err).toBe('');
  });

  it('warns about a typo\'d key as file:line:col: warning:, still exit 0', async () => {
    const path = file('typo.conf', 'clamav {\n  servers = "127.0.0.1:3310";\n  max_szie = 20m;\n}\n');
    const r = await run(['config', 'check', path]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`^${escape(path)}:3:3: warning: .*max_szie`, 'm'));
    expect(r.out).toMatch(/^clamav: type clamav/);
  });

  it('an unterminated string fails naming line and column, exit 1', async () => {
    const path = file('broken.conf', 'clamav {\n  servers = "127.0.0.1:3310;\n}\n');
    const r = await run(['config', 'check', path]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^${escape(path)}:2:\\d+: .+`));
  });

  it('a rule without servers fails naming the rule and its position, exit 1', async () => {
    const path = file('noservers.conf', `${CLAMAV}sophos {\n  symbol = "SOPHOS_VIRUS";\n}\n`);
    const r = await run(['config', 'check', path]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^${escape(path)}:7:\\d+: .*sophos.*servers`, 'm'));
  });

  it('--lenient (or AVFLEET_LENIENT_CONFIG) drops the bad rule with a warning, exit 0', async () => {
    const path = file('noservers.conf', `${CLAMAV}sophos {\n  symbol = "SOPHOS_VIRUS";\n}\n`);
    for (const r of [await run(['config', 'check', '--lenient', path]), await run(['config', 'check', path], { AVFLEET_LENIENT_CONFIG: 'true' })]) {
      expect(r.code).toBe(0);
      expect(r.out.trimEnd().split('\n')).toEqual([expect.stringMatching(/^clamav: /)]);
      expect(r.err).toMatch(/warning: .*sophos/);
    }
  });

  it('prints every error in line order, whatever order the checks ran in', async () => {
    // The rule's options are checked in the code's order (timeout, retransmits, action), not the lines'.
    const path = file('order.conf', 'clamav {\n  action = "explode";\n  retransmits = -3;\n  timeout = "banana";\n  servers = "127.0.0.1:3310";\n}\nsophos {\n  symbol = "S";\n}\n');
    const r = await run(['config', 'check', path]);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines.map((l) => Number(l.slice(path.length + 1).split(':')[0]))).toEqual([2, 3, 4, 7]);
    expect(lines[0]).toMatch(/action/);
    expect(lines[2]).toMatch(/timeout/);
  });

  it('--lenient with every rule invalid names each dropped rule and why, then refuses, exit 1', async () => {
    const path = file('allbad.conf', 'clamav {\n  servers = "127.0.0.1:3310";\n  timeout = "banana";\n}\nsophos {\n  symbol = "S";\n}\n');
    const r = await run(['config', 'check', '--lenient', path]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toEqual([
      `${path}:3:3: rule "clamav" dropped (lenient mode): option timeout must be a number, not "banana"`,
      `${path}:5:1: rule "sophos" dropped (lenient mode): no servers defined; add servers = "127.0.0.1:4010"`,
      'no valid antivirus rule left after dropping the invalid ones (clamav, sophos)',
    ]);
  });

  it('a missing file is an error, exit 1', async () => {
    const r = await run(['config', 'check', join(dir, 'nope.conf')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.conf');
  });

  it('unusable settings exit 2 naming the variable', async () => {
    const path = file('antivirus.conf', CLAMAV);
    const r = await run(['config', 'check', path], { AVFLEET_LENIENT_CONFIG: 'sometimes' });
    expect(r).toEqual({ code: 2, out: '', err: "avfleet: AVFLEET_LENIENT_CONFIG must be true or false, got 'sometimes'\n" });
  });
});

describe('avfleet config dump', () => {
  it('prints the effective rules with defaults filled', async () => {
    const path = file('antivirus.conf', 'clamav {\n  servers = "127.0.0.1";\n}\n');
    const r = await run(['config', 'dump', path]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { rules: Array<Record<string, unknown>> };
    expect(json.rules).toHaveLength(1);
    expect(JSON.stringify(json.rules[0])).toContain('"CLAMAV_FAIL"');
    expect(json.rules[0]).toMatchObject({ name: 'clamav', type: 'clamav', symbol: 'CLAMAV' });
    expect(r.out).toContain('3310');
  });

  it('--raw prints the parsed tree as plain JSON, BOM kept in the first key', async () => {
    const path = file('bom.conf', '\uFEFFclamav {\n  servers = "a:1";\n  servers = "b:2";\n  max_size = 20m;\n  //timeout = 5;\n}\n');
    const r = await run(['config', 'dump', '--raw', path]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ '\uFEFFclamav': { servers: ['a:1', 'b:2'], max_size: 20000000, '//timeout': 5 } });
  });

  it('fails like config check, exit 1', async () => {
    const path = file('broken.conf', 'clamav {\n  servers = "x;\n');
    const r = await run(['config', 'dump', '--raw', path]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^${escape(path)}:\\d+:\\d+: `));
    expect((await run(['config', 'dump', path])).code).toBe(1);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
