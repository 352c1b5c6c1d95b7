import { buildAntivirusConfig, parseUcl, type Rule } from '@avfleet/config';
import {
  AvastClient, createScanner, IcapClient, KasperskyClient, KasperskySeClient, MetadefenderClient, SavapiClient, UPSTREAM_HEALTH_DEFAULTS, VirustotalClient,
} from '@avfleet/scanners';
import { ruleToScannerOptions } from './rule-to-scanner-options';

function rules(antivirus: string, externalServices?: string): Rule[] {
  const tree = parseUcl(antivirus, { filename: 'antivirus.conf' }).value;
  const ext = externalServices ? parseUcl(externalServices, { filename: 'external_services.conf' }).value : null;
  return [...buildAntivirusConfig(tree, { externalServices: ext }).rules];
}

/** The client a rule's worker would run: its common options, its own typed specific ones. */
const clientOf = (rule: Rule) => createScanner(ruleToScannerOptions(rule, UPSTREAM_HEALTH_DEFAULTS), rule.specific);

describe('ruleToScannerOptions and a rule\'s own typed options', () => {
  it('resolves the common options', () => {
    const [rule] = rules('clam { type = "clamav"; servers = "10.0.0.8"; timeout = 7s; retransmits = 4; default_score = 3; }');
    const o = ruleToScannerOptions(rule!, { errorTimeSec: 5, maxErrors: 2, reviveTimeSec: 30 });
    expect(o).toEqual({
      servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: '10.0.0.8', port: 3310, priority: 0 }] },
      timeoutSec: 7,
      retransmits: 4,
      upstream: { errorTimeSec: 5, maxErrors: 2, reviveTimeSec: 30 },
      defaultScore: 3,
    });
  });

  it('gives each temp-file scanner its own tmpdir, and savapi its product id', () => {
    const [savapi, kav, avast] = rules(
      'savapi { servers = "h"; product_id = 12345; tmpdir = "/var/tmp/s"; }\nkaspersky { servers = "/run/kav.sock"; tmpdir = "/var/tmp/k"; }\navast { servers = "/run/avast.sock"; }',
    );
    expect(clientOf(savapi!)).toEqual(expect.any(SavapiClient));
    expect(clientOf(savapi!)).toMatchObject({ tmpdir: '/var/tmp/s', productId: '12345' });
    expect(clientOf(kav!)).toEqual(expect.any(KasperskyClient));
    expect(clientOf(kav!)).toMatchObject({ tmpdir: '/var/tmp/k' });
    expect(clientOf(avast!)).toEqual(expect.any(AvastClient));
    expect(clientOf(avast!)).toMatchObject({ tmpdir: '/tmp' });
  });

  it('gives kaspersky_se its transport options', () => {
    const [rule] = rules('kaspersky_se { servers = "10.0.0.8"; use_https = true; use_files = true; keepalive = false; auth_string = "Basic abc"; tmpdir = "/var/tmp"; }');
    const s = clientOf(rule!);
    expect(s).toEqual(expect.any(KasperskySeClient));
    expect(s).toMatchObject({
      scheme: 'https',
      keepalive: false,
      options: expect.objectContaining({ timeoutSec: 5, retransmits: 1, useFiles: true, authString: 'Basic abc', tmpdir: '/var/tmp' }),
    });
  });

  it('gives the hash services, which have no servers, their thresholds, url and symbols', () => {
    const [vt, md] = rules(
      'virustotal { apikey = "k1"; url = "http://127.0.0.1:1/vt"; minimum_engines = 2; symbols { clean = false; high { symbol = "VT_BAD"; score = 9; } } }\n' +
        'metadefender { apikey = "k2"; }',
    );
    expect(ruleToScannerOptions(vt!, UPSTREAM_HEALTH_DEFAULTS).servers.entries).toEqual([]);
    const scanner = clientOf(vt!) as VirustotalClient;
    expect(scanner).toEqual(expect.any(VirustotalClient));
    expect(scanner).toMatchObject({ url: 'http://127.0.0.1:1/vt', options: expect.objectContaining({ apikey: 'k1' }) });
    expect(scanner.thresholds).toMatchObject({ minimumEngines: 2, lowCategory: 5, mediumCategory: 10 });
    expect(scanner.thresholds.symbols.clean.enabled).toBe(false);
    expect(scanner.thresholds.symbols.high.symbol).toBe('VT_BAD');
    const m = clientOf(md!);
    expect(m).toEqual(expect.any(MetadefenderClient));
    expect(m).toMatchObject({ url: 'https://api.metadefender.com/v4/hash', options: expect.objectContaining({ apikey: 'k2' }) });
  });

  it('gives ICAP rules of external_services their snake_case options as settings, with default_score', () => {
    const [icap] = rules('clamav { servers = "127.0.0.1"; }', 'icap { servers = "127.0.0.1:11344"; scheme = "virus_scan"; x_client_header = true; default_score = 2; }').filter((r) => r.type === 'icap');
    const scanner = clientOf(icap!) as IcapClient;
    expect(scanner).toEqual(expect.any(IcapClient));
    expect(scanner.settings).toMatchObject({ scheme: 'virus_scan', xClientHeader: true, userAgent: 'Rspamd', defaultScore: 2 });
    expect(ruleToScannerOptions(icap!, UPSTREAM_HEALTH_DEFAULTS)).toMatchObject({ timeoutSec: 10, retransmits: 2 });
  });
});
