import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrors } from './errors';
import { buildAntivirusConfig, loadAntivirusConfig, rulesToJson } from './load-antivirus-conf';
import { parseUcl } from './ucl';

const FX = join(__dirname, 'rules', 'fixtures');

function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.format());
    throw e;
  }
  throw new Error('expected ConfigErrors');
}

describe('loadAntivirusConfig on the docs/config-format.md examples', () => {
  it('example 1: directory layout with local.d, group file and ICAP rules', () => {
    const cfg = loadAntivirusConfig(join(FX, 'example1'));
    expect(cfg.rules.map((r) => `${r.name}/${r.type}/${r.section}`)).toEqual(['clamav/clamav/antivirus', 'icap/icap/external_services']);
    const clam = cfg.rules[0];
    expect(clam).toMatchObject({
      symbol: 'CLAM_VIRUS', action: 'reject', maxSize: 20000000, timeout: 10, retransmits: 2, logClean: true,
      whitelist: '/etc/rspamd/antivirus.wl', eicarFakePattern: 'testpatterneicar', maxScanTime: 30,
    });
    expect(clam?.patterns.map((p) => p.name)).toEqual(['JUST_EICAR', 'SANE_MAL', 'CLAM_UNOFFICIAL']);
    expect(clam?.patterns[1]?.source).toBe('Sanesecurity\\.Malware\\.*');
    expect(clam?.source).toEqual({ file: join(FX, 'example1/local.d/antivirus.conf'), line: expect.any(Number), column: expect.any(Number) });
    expect(cfg.symbolScores['CLAM_VIRUS_MACRO']).toMatchObject({ score: 4, description: 'Office macro found' });
    expect(cfg.symbolScores['CLAM_UNOFFICIAL']).toMatchObject({ score: 2.5, oneShot: true });
    expect(cfg.symbolScores['ICAP']).toMatchObject({ score: 0, group: 'external_services', description: 'external services symbol' });
    expect(cfg.rules[1]?.specific).toMatchObject({ options: { scheme: 'squidclamav', x_client_header: true } });
    expect(cfg.warnings.some((w) => /oletools/.test(w.message))).toBe(true);
    expect(cfg.files).toEqual(
      expect.arrayContaining(['antivirus.conf', 'antivirus_group.conf', 'external_services.conf'].map((f) => join(FX, 'example1/local.d', f))),
    );
    expect(cfg.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('example 2: several engines, key value form', () => {
    const cfg = loadAntivirusConfig(join(FX, 'example2.conf'));
    expect(cfg.rules.map((r) => r.name)).toEqual(['sophos', 'savapi', 'avast', 'kaspersky']);
    const [sophos, savapi, avast, kas] = cfg.rules;
    expect(sophos).toMatchObject({ maxSize: 10485760, cacheExpire: 7200, logClean: false });
    expect(sophos?.servers).toMatchObject({ strategy: 'master-slave', explicitStrategy: true });
    expect(savapi).toMatchObject({ symbol: 'SAVAPI_VIRUS', dynamicScan: true, specific: { type: 'savapi', productId: '12345', tmpdir: '/var/tmp/savapi' } });
    expect(avast).toMatchObject({ showAttachments: true, symbolType: 'postfilter', timeout: 4 });
    expect(kas).toMatchObject({ minSize: 1000, score: 7.5, group: 'av_kaspersky' });
    expect(cfg.symbolScores['KAS_VIRUS']).toEqual({ score: 7.5, description: 'Kaspersky AV found a virus', group: 'av_kaspersky' });
    expect(cfg.warnings.filter((w) => w.code === 'AVF_WARN_UNKNOWN_KEY')).toEqual([]);
  });

  it('example 3: hash services, filters, array patterns and servers', () => {
    const cfg = loadAntivirusConfig(join(FX, 'example3.conf'));
    const [vt, md, ordered] = cfg.rules;
    expect(vt?.filters?.ext).toEqual(['exe', 'docm', 'js']);
    expect(vt?.filters?.regex.map((p) => p.source)).toEqual(['application/vnd.openxmlformats-officedocument.*', '^invoice_\\d+\\.zip$']);
    expect(cfg.symbolScores['VIRUSTOTAL_CLEAN']).toMatchObject({ score: -0.5, description: 'VirusTotal: attachment is clean' });
    expect(cfg.symbolScores['VIRUSTOTAL_LOW']?.score).toBe(2);
    expect(md?.specific).toMatchObject({ apikey: 'YOUR_API_KEY_HERE' });
    expect(ordered?.servers?.entries).toEqual([
      { kind: 'tcp', host: '10.1.1.1', port: 3310, priority: 0 },
      { kind: 'tcp', host: '10.1.1.2', port: 3311, priority: 0 },
      { kind: 'tcp', host: '::1', port: 3310, priority: 0 },
    ]);
    expect(ordered?.patterns.map((p) => p.name)).toEqual(['CLAM_EICAR', 'CLAM_HEUR', 'CLAM_PHISH']);
  });

  it('example 4: escapes and heredoc; unknown keys warned with their position', () => {
    const cfg = loadAntivirusConfig(join(FX, 'example4.conf'));
    const clam = cfg.rules[0];
    expect(clam?.message).toBe('${SCANNER} found ${VIRUS}\nplease contact postmaster');
    expect(clam?.patterns.find((p) => p.name === 'DQ_DROPS')?.source).toBe('^Heuristics.Encrypted.');
    const unknown = cfg.warnings.filter((w) => w.code === 'AVF_WARN_UNKNOWN_KEY');
    expect(unknown.map((w) => w.message)).toEqual([
      'rule "clamav": unknown option quoted key ignored',
      'rule "clamav": option url is not used by clamav rules (it belongs to other scanner types)',
      'rule "clamav": unknown option cut_url ignored',
    ]);
    expect(unknown[1]?.position).toMatchObject({ file: join(FX, 'example4.conf'), line: 18 });
  });

  it('example 5: modules.d, local.d merge and override.d replace', () => {
    const cfg = loadAntivirusConfig(join(FX, 'example5'));
    const [clam, sophos] = cfg.rules;
    expect(clam).toMatchObject({ symbol: 'CLAM_VIRUS', action: 'reject', maxSize: 20000000 });
    expect(clam?.servers?.entries).toEqual([{ kind: 'tcp', host: '10.0.0.5', port: 3310, priority: 0 }]);
    expect(clam?.patterns.map((p) => p.name)).toEqual(['JUST_EICAR', 'CLAM_UNOFFICIAL']);
    expect(sophos).toMatchObject({ timeout: 20 });
    expect(sophos?.servers?.entries).toEqual([{ kind: 'tcp', host: '10.0.0.7', port: 4010, priority: 0 }]);
  });

  it('example 6: an incomplete rule is an error; lenient mode keeps the rest', () => {
    const errs = errorsOf(() => loadAntivirusConfig(join(FX, 'example6.conf')));
    expect(errs).toEqual([`${join(FX, 'example6.conf')}:11:1: rule "clamav_base": no servers defined; add servers = "127.0.0.1:3310"`]);
    const cfg = loadAntivirusConfig(join(FX, 'example6.conf'), { lenient: true });
    expect(cfg.rules.map((r) => r.name)).toEqual(['clamav', 'clamav_dc2']);
    expect(cfg.rules[0]).toMatchObject({ timeout: 1000000, cacheExpire: 60 });
    expect(cfg.rules[0]?.servers?.entries).toHaveLength(2);
    expect(cfg.rules[1]).toMatchObject({ type: 'clamav', timeout: 5, retransmits: 3 });
    expect(cfg.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['AVF_WARN_RULE_DROPPED', 'AVF_WARN_UNKNOWN_KEY']));
  });

  it('example 7: the same rule twice is an error stand-alone and merged in local.d', () => {
    const errs = errorsOf(() => loadAntivirusConfig(join(FX, 'example7.conf')));
    expect(errs[0]).toMatch(/rule "clamav" defined twice \(at .*example7.conf:1:1 and .*example7.conf:2:1\)/);
    const cfg = loadAntivirusConfig(join(FX, 'example7-dir'));
    expect(cfg.rules[0]).toMatchObject({ name: 'clamav', action: 'reject' });
  });

  it("the example rules of Rspamd's antivirus module documentation load", () => {
    const cfg = loadAntivirusConfig(join(FX, 'module-doc'));
    expect(cfg.rules.map((r) => r.type)).toEqual(['clamav', 'sophos', 'savapi', 'kaspersky', 'kaspersky_se', 'avast', 'virustotal', 'metadefender']);
  });

  it('reports a wrapping antivirus { } in local.d', () => {
    const errs = errorsOf(() => loadAntivirusConfig(join(FX, 'wrapped')));
    expect(errs[0]).toMatch(/wrapped\/local\.d\/antivirus\.conf:1:1: found an antivirus \{ \} wrapper/);
  });

  it('reports a missing path or an empty directory', () => {
    expect(errorsOf(() => loadAntivirusConfig(join(FX, 'nope.conf')))[0]).toMatch(/does not exist/);
    expect(errorsOf(() => loadAntivirusConfig(join(FX, 'example1', 'local.d')))[0]).toMatch(/has no local.d\/antivirus.conf/);
  });
});

describe('buildAntivirusConfig / rulesToJson', () => {
  const parse = (text: string) => parseUcl(text, { filename: '/virtual/antivirus.conf' }).value;

  it('names file and line of a repeated scalar option', () => {
    const errs = errorsOf(() => buildAntivirusConfig(parse('clamav {\n  servers = "a";\n  timeout = 5;\n  timeout = 6;\n}\n')));
    expect(errs).toEqual([
      '/virtual/antivirus.conf:3:3: rule "clamav": option timeout is set more than once (set at /virtual/antivirus.conf:3:3 and /virtual/antivirus.conf:4:3); keep one value',
    ]);
  });

  it('accepts repeated servers as one pool', () => {
    const cfg = buildAntivirusConfig(parse('clamav { servers = "a"; servers = "b:1"; }'));
    expect(cfg.rules[0]?.servers?.entries).toHaveLength(2);
  });

  it('dumps regexes as strings with defaults filled; the digest ignores positions', () => {
    const a = buildAntivirusConfig(parse("clamav { servers = 'h'; patterns { P = '/^e/i'; } }"));
    const json = rulesToJson(a) as { rules: Record<string, unknown>[] };
    expect(json.rules[0]?.['patterns']).toEqual([{ name: 'P', source: '/^e/i', js: '^e', flags: 'i', whole_text: false }]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    const b = buildAntivirusConfig(parse("\n\nclamav {\n servers = 'h'; patterns { P = '/^e/i'; } }"));
    expect(b.digest).toBe(a.digest);
    const c = buildAntivirusConfig(parse("clamav { servers = 'h'; patterns { P = '/^e/'; } }"));
    expect(c.digest).not.toBe(a.digest);
  });

  it('takes the redis block aside', () => {
    const cfg = buildAntivirusConfig(parse('redis { servers = "127.0.0.1:6379"; } clamav { servers = "h"; }'));
    expect(cfg.redis).toEqual({ servers: '127.0.0.1:6379' });
    expect(cfg.rules.map((r) => r.name)).toEqual(['clamav']);
  });
});

describe('ConfigErrors.code', () => {
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      if (e instanceof ConfigErrors) return e.code;
      throw e;
    }
    return undefined;
  };

  it("is the first error's code: a syntax error, an invalid value, a broken rule", () => {
    const dir = mkdtempSync(join(tmpdir(), 'avf-conf-code-'));
    const load = (text: string): string | undefined => {
      const file = join(dir, 'antivirus.conf');
      writeFileSync(file, text);
      return codeOf(() => loadAntivirusConfig(file));
    };
    try {
      expect(load('clamav { servers = "127.0.0.1:3310"; ')).toBe('AVF_ERR_CONFIG_SYNTAX');
      expect(load('clamav { servers = "127.0.0.1:3310"; action = "explode"; }')).toBe('AVF_ERR_CONFIG_VALUE');
      expect(load('clamav { type = "clamav"; }')).toBe('AVF_ERR_CONFIG_RULE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
