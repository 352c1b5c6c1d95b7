import { buildAntivirusConfig } from '../load-antivirus-conf';
import { parseUcl } from '../ucl';

const AV = `clam { type = "clamav"; servers = "127.0.0.1:3310"; symbol = "CLAM_VIRUS"; }
sophos { servers = "127.0.0.1:4010"; }
kav { type = "kaspersky"; servers = "127.0.0.1:1344"; fail_action = "reject"; }
`;

function warned(forceActions?: string): { rule: string; line: number | null; message: string }[] {
  const cfg = buildAntivirusConfig(
    parseUcl(AV, { filename: 'antivirus.conf' }).value,
    forceActions === undefined ? {} : { forceActions: parseUcl(forceActions, { filename: 'force_actions.conf' }).value },
  );
  return cfg.warnings
    .filter((w) => w.code === 'AVF_WARN_RULE_NO_FAIL_ACTION')
    .map((w) => ({ rule: /^rule "([^"]+)"/.exec(w.message)?.[1] ?? '?', line: w.position?.line ?? null, message: w.message }));
}

describe('AVF_WARN_RULE_NO_FAIL_ACTION', () => {
  it('warns once for each rule without fail_action, at its block, naming its fail symbol and the fix', () => {
    const w = warned();
    expect(w.map((x) => [x.rule, x.line])).toEqual([['clam', 1], ['sophos', 2]]);
    expect(w[0].message).toMatch(/CLAM_VIRUS_FAIL/);
    expect(w[0].message).toMatch(/padded past the scanner's size limit/);
    expect(w[0].message).toMatch(/fail_action = "soft reject"/);
    expect(w[1].message).toMatch(/SOPHOS_FAIL/);
  });

  it('is silent for a rule whose fail_action comes from force_actions.conf', () => {
    const w = warned('rules { AV_FAIL { action = "soft reject"; expression = "CLAM_VIRUS_FAIL"; } }');
    expect(w.map((x) => x.rule)).toEqual(['sophos']);
  });
});
