import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAntivirusConfig, loadAntivirusConfig } from '../load-antivirus-conf';
import { parseUcl } from '../ucl';

const AV = `
clam { type = "clamav"; servers = "127.0.0.1:3310"; symbol = "CLAM_VIRUS"; }
sophos { servers = "127.0.0.1:4010"; }
kav { type = "kaspersky"; servers = "127.0.0.1:1344"; fail_action = "reject"; }
`;

function build(forceActions: string) {
  return buildAntivirusConfig(parseUcl(AV, { filename: 'antivirus.conf' }).value, { forceActions: parseUcl(forceActions, { filename: 'force_actions.conf' }).value });
}
const rule = (cfg: ReturnType<typeof build>, name: string) => cfg.rules.find((r) => r.name === name);
const forceWarnings = (cfg: ReturnType<typeof build>) => cfg.warnings.filter((w) => w.code === 'AVF_WARN_FORCE_ACTIONS').map((w) => w.message);

describe('force_actions.conf (docs/semantics.md §11, D53)', () => {
  it('maps a rule whose expression is one antivirus fail symbol to fail_action and fail_message', () => {
    const cfg = build(`rules { CLAM_FAIL_TEMPFAIL { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; message = "Virus scanner unavailable, retry"; } }`);
    expect(rule(cfg, 'clam')).toMatchObject({ failAction: 'soft reject', failMessage: 'Virus scanner unavailable, retry' });
    expect(rule(cfg, 'sophos')).toMatchObject({ failAction: null, failMessage: null });
    expect(forceWarnings(cfg)).toEqual([]);
  });

  it('maps A | B (and ||) to both rules; spellings of the action are normalised', () => {
    const cfg = build(`rules { AV_FAIL { action = "soft_reject"; expression = "CLAM_VIRUS_FAIL || SOPHOS_FAIL"; } }`);
    expect(rule(cfg, 'clam')?.failAction).toBe('soft reject');
    expect(rule(cfg, 'sophos')?.failAction).toBe('soft reject');
    expect(rule(cfg, 'sophos')?.failMessage).toBeNull();
  });

  it('changes the configuration digest (jobs carry it)', () => {
    const without = buildAntivirusConfig(parseUcl(AV, { filename: 'antivirus.conf' }).value);
    expect(build(`rules { F { action = "soft reject"; expression = "SOPHOS_FAIL"; } }`).digest).not.toBe(without.digest);
  });

  it.each([
    ['a complex expression', `rules { X { action = "soft reject"; expression = "CLAM_VIRUS_FAIL & !CLAM_VIRUS"; } }`, /X.*only an expression naming antivirus fail symbols/],
    ['a symbol that is no fail symbol', `rules { X { action = "soft reject"; expression = "CLAM_VIRUS"; } }`, /X.*CLAM_VIRUS is not the symbol_fail of an antivirus rule/],
    ['require_action', `rules { X { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; require_action = ["no action"]; } }`, /require_action is not supported/],
    ['honor_action', `rules { X { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; honor_action = ["reject"]; } }`, /honor_action is not supported/],
    ['a limit the fail symbol never exceeds', `rules { X { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; limit = 1; } }`, /limit = 1/],
    ['an unknown action', `rules { X { action = "quarantine"; expression = "CLAM_VIRUS_FAIL"; } }`, /action "quarantine" is not one of/],
    ['no expression', `rules { X { action = "soft reject"; } }`, /only an expression/],
  ])('warns about %s and leaves the rule alone', (_what, text, pattern) => {
    const cfg = build(text);
    expect(rule(cfg, 'clam')?.failAction).toBeNull();
    expect(forceWarnings(cfg)).toEqual([expect.stringMatching(/force_actions rule "X" is not supported and has no effect in avfleet/)]);
    expect(forceWarnings(cfg)[0]).toMatch(pattern);
  });

  it('keeps a fail_action written in the antivirus rule and the first of two mappings, with warnings', () => {
    const cfg = build(`rules {
      A { action = "soft reject"; expression = "KAV_FAIL | SOPHOS_FAIL"; }
      B { action = "reject"; expression = "SOPHOS_FAIL"; }
    }`);
    expect(rule(cfg, 'kav')?.failAction).toBe('reject');
    expect(rule(cfg, 'sophos')?.failAction).toBe('soft reject');
    expect(forceWarnings(cfg)).toEqual([
      expect.stringMatching(/"A": antivirus rule "kav" sets fail_action itself/),
      expect.stringMatching(/"B": SOPHOS_FAIL is already mapped by "A"/),
    ]);
  });

  it('warns about unknown options and rules that are not blocks', () => {
    const cfg = build(`rules { A { action = "soft reject"; expression = "SOPHOS_FAIL"; weight = 3; } B = "x"; }`);
    expect(rule(cfg, 'sophos')?.failAction).toBe('soft reject');
    expect(forceWarnings(cfg)).toEqual([expect.stringMatching(/"A": unknown option weight ignored/), expect.stringMatching(/"B" is not supported.*not a block/)]);
  });

  it('is read from local.d/force_actions.conf in the directory layout, with file positions in warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avf-fa-'));
    try {
      mkdirSync(join(dir, 'local.d'));
      writeFileSync(join(dir, 'local.d/antivirus.conf'), AV);
      writeFileSync(join(dir, 'local.d/force_actions.conf'), [
        'rules {',
        '  CLAM_FAIL_TEMPFAIL { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; message = "retry later"; }',
        '  OTHER { action = "reject"; expression = "BAYES_SPAM & CLAM_VIRUS"; }',
        '}',
      ].join('\n'));
      const cfg = loadAntivirusConfig(dir);
      expect(rule(cfg, 'clam')).toMatchObject({ failAction: 'soft reject', failMessage: 'retry later' });
      const w = cfg.warnings.find((x) => x.code === 'AVF_WARN_FORCE_ACTIONS');
      expect(w?.message).toMatch(/"OTHER" is not supported/);
      expect(w?.position).toMatchObject({ file: expect.stringContaining('force_actions.conf'), line: 3 });
      expect(cfg.files.some((f) => f.endsWith('local.d/force_actions.conf'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
