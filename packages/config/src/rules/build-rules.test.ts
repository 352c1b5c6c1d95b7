import { buildRules } from './build-rules';
import type { TreeObject, TreePositions } from './ucl-view';
import { NO_POSITIONS } from './ucl-view';

const build = (section: TreeObject, extra: Partial<Parameters<typeof buildRules>[0]> = {}) =>
  buildRules({ section, positions: NO_POSITIONS, lenient: false, ...extra });

describe('buildRules (docs/semantics.md §1, docs/config-format.md §5)', () => {
  it('keeps configuration order, treats redis as reserved and section-level servers as Redis', () => {
    const out = build({
      sophos: { servers: 'h' },
      redis: { servers: '127.0.0.1:6379' },
      clamav: { servers: 'h' },
      servers: 'r:6379',
      enabled: true,
    });
    expect(out.errors).toEqual([]);
    expect(out.rules.map((r) => r.name)).toEqual(['sophos', 'clamav']);
    expect(out.redis).toEqual({ servers: 'r:6379' });
    expect(out.warnings.map((w) => w.message)).toContain('antivirus: enabled is not a rule block and is ignored');
  });

  it('reports a rule defined twice', () => {
    const pos: TreePositions = {
      keyPositions: (_o, k) => (k === 'clamav' ? [{ file: 'a', line: 1, column: 1 }, { file: 'a', line: 2, column: 1 }] : []),
      objectPosition: () => null,
      isImplicitArray: () => true,
    };
    const out = build({ clamav: [{ servers: 'h' }, { action: 'reject' }] }, { positions: pos });
    expect(out.errors.map((e) => e.message)).toEqual([
      'rule "clamav" defined twice (at a:1:1 and a:2:1); merge the blocks into one (only local.d/antivirus.conf merges repeated blocks)',
    ]);
    expect(out.rules).toEqual([]);
  });

  it('reports an antivirus { } wrapper explicitly', () => {
    const out = build({ antivirus: { clamav: { servers: 'h' } } });
    expect(out.errors[0]?.message).toMatch(/antivirus \{ \} wrapper/);
  });

  it('collects all errors; lenient mode drops bad rules with a warning', () => {
    const section = { clamav: { servers: 'h' }, sophos: {}, bogus: { servers: 'h' } };
    expect(build(section).errors).toHaveLength(2);
    const lenient = build(section, { lenient: true });
    expect(lenient.errors).toEqual([]);
    expect(lenient.rules.map((r) => r.name)).toEqual(['clamav']);
    expect(lenient.warnings.filter((w) => w.code === 'AVF_WARN_RULE_DROPPED').map((w) => w.message)).toEqual([
      'rule "sophos" dropped (lenient mode): no servers defined; add servers = "127.0.0.1:4010"',
      expect.stringMatching(/^rule "bogus" dropped/),
    ]);
  });

  it('lenient mode with every rule invalid: the refusal names each dropped rule and why, then that none is left', () => {
    const out = build({ sophos: {}, fprot: { servers: 'h', retransmits: -3 } }, { lenient: true });
    expect(out.rules).toEqual([]);
    expect(out.errors.map((e) => [e.code, e.message])).toEqual([
      ['AVF_ERR_CONFIG_RULE', 'rule "sophos" dropped (lenient mode): no servers defined; add servers = "127.0.0.1:4010"'],
      ['AVF_ERR_CONFIG_RULE', expect.stringMatching(/^rule "fprot" dropped \(lenient mode\): option retransmits must be at least 0/)],
      ['AVF_ERR_CONFIG_RULE', 'no valid antivirus rule left after dropping the invalid ones (sophos, fprot)'],
    ]);
  });

  it('refuses an empty configuration', () => {
    expect(build({}).errors[0]?.message).toMatch(/no antivirus rule configured/);
  });

  it('refuses duplicate rule names', () => {
    const out = build({ a: { type: 'clamav', name: 'x', servers: 'h' }, b: { type: 'clamav', name: 'x', servers: 'h' } });
    expect(out.errors[0]?.message).toMatch(/two rules are named "x"/);
  });

  it('takes ICAP rules from external_services and ignores other types there', () => {
    const out = build({ clamav: { servers: 'h' } }, { externalServices: { icap: { servers: 'h' }, av2: { type: 'icap', servers: 'x' }, olet: { type: 'oletools' } } });
    expect(out.rules.map((r) => `${r.name}:${r.type}:${r.symbol}`)).toEqual(['clamav:clamav:CLAMAV', 'icap:icap:ICAP', 'av2:icap:AV2']);
    expect(out.warnings.some((w) => /olet .*not an ICAP rule/.test(w.message))).toBe(true);
  });

  it('computes symbol scores from rules, categories and antivirus_group.conf', () => {
    const out = build(
      {
        clamav: { servers: 'h', symbol: 'CLAM_VIRUS', score: 4, patterns: { JUST_EICAR: '^Eicar' } },
        virustotal: { apikey: 'k', symbols: { clean: false } },
      },
      { groupFile: { symbols: { CLAM_VIRUS_MACRO: { weight: 4.0, description: 'macro' }, JUST_EICAR: { weight: 1, one_shot: true } } } },
    );
    expect(out.errors).toEqual([]);
    expect(out.symbolScores['CLAM_VIRUS']).toEqual({ score: 4, description: 'antivirus symbol', group: 'antivirus' });
    expect(out.symbolScores['CLAM_VIRUS_FAIL']).toEqual({ score: 0, group: 'antivirus' });
    expect(out.symbolScores['CLAM_VIRUS_MACRO']).toMatchObject({ score: 4, description: 'macro' });
    expect(out.symbolScores['JUST_EICAR']).toMatchObject({ score: 1, oneShot: true });
    expect(out.symbolScores['VIRUSTOTAL_HIGH']).toMatchObject({ score: 8, group: 'antivirus' });
    expect(out.symbolScores['VIRUSTOTAL_CLEAN']).toBeUndefined();
  });

  it('unwraps a group file wrapped in antivirus { } with a warning', () => {
    const out = build({ clamav: { servers: 'h' } }, { groupFile: { antivirus: { symbols: { CLAMAV: { weight: 2 } } } } });
    expect(out.symbolScores['CLAMAV']?.score).toBe(2);
    expect(out.warnings.some((w) => /unwrapped/.test(w.message))).toBe(true);
  });
});
