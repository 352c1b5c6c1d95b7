import { buildAntivirusConfig, parseUcl, type UpstreamLimits } from '@avfleet/config';
import { createScanner, IcapClient, KasperskySeClient, MetadefenderClient, VirustotalClient } from '@avfleet/scanners';
import { ruleToScannerOptions } from './rule-to-scanner-options';

const limits: UpstreamLimits = { errorTimeSec: 10, maxErrors: 4, reviveTimeSec: 60 };

function rules(antivirus: string, externalServices?: string) {
  const tree = parseUcl(antivirus, { filename: 'antivirus.conf' }).value;
  const ext = externalServices ? parseUcl(externalServices, { filename: 'external_services.conf' }).value : null;
  return buildAntivirusConfig(tree, { externalServices: ext }).rules;
}

describe('ruleToScannerOptions for the HTTP scanners and ICAP', () => {
  it('maps kaspersky_se options', () => {
    const [rule] = rules('kaspersky_se { servers = "10.0.0.8"; use_https = true; use_files = true; keepalive = false; auth_string = "Basic abc"; tmpdir = "/var/tmp"; }');
    const o = ruleToScannerOptions(rule!, limits);
    expect(o).toMatchObject({ timeoutSec: 5, retransmits: 1, useHttps: true, useFiles: true, keepalive: false, authString: 'Basic abc', tmpdir: '/var/tmp' });
    expect(o.servers.entries).toEqual([{ kind: 'tcp', host: '10.0.0.8', port: 9999, priority: 0 }]);
    expect(createScanner(rule!.type, o)).toBeInstanceOf(KasperskySeClient);
  });

  it('maps the hash services without servers (thresholds, url, symbols)', () => {
    const [vt, md] = rules(
      'virustotal { apikey = "k1"; url = "http://127.0.0.1:1/vt"; minimum_engines = 2; symbols { clean = false; high { symbol = "VT_BAD"; score = 9; } } }\n' +
        'metadefender { apikey = "k2"; }',
    );
    const o = ruleToScannerOptions(vt!, limits);
    expect(o).toMatchObject({ apikey: 'k1', url: 'http://127.0.0.1:1/vt', minimumEngines: 2, lowCategory: 5, mediumCategory: 10 });
    expect(o.symbols?.clean?.enabled).toBe(false);
    expect(o.symbols?.high?.symbol).toBe('VT_BAD');
    const scanner = createScanner('virustotal', o);
    expect(scanner).toBeInstanceOf(VirustotalClient);
    expect((scanner as VirustotalClient).thresholds.symbols.high.symbol).toBe('VT_BAD');
    const m = ruleToScannerOptions(md!, limits);
    expect(m).toMatchObject({ apikey: 'k2', url: 'https://api.metadefender.com/v4/hash' });
    expect(createScanner('metadefender', m)).toBeInstanceOf(MetadefenderClient);
  });

  it('maps ICAP rules of external_services (snake_case options, default_score)', () => {
    const [icap] = rules('clamav { servers = "127.0.0.1"; }', 'icap { servers = "127.0.0.1:11344"; scheme = "virus_scan"; x_client_header = true; default_score = 2; }').filter((r) => r.type === 'icap');
    const o = ruleToScannerOptions(icap!, limits);
    expect(o).toMatchObject({ scheme: 'virus_scan', xClientHeader: true, defaultScore: 2, timeoutSec: 10, retransmits: 2 });
    const scanner = createScanner('icap', o) as IcapClient;
    expect(scanner).toBeInstanceOf(IcapClient);
    expect(scanner.settings).toMatchObject({ scheme: 'virus_scan', xClientHeader: true, userAgent: 'Rspamd', defaultScore: 2 });
  });
});
