import { AvastClient } from './clients/avast/avast-client';
import { ClamavClient } from './clients/clamav/clamav-client';
import { FprotClient } from './clients/fprot/fprot-client';
import { IcapClient } from './clients/icap/icap-client';
import { ICAP_DEFAULTS } from './clients/icap/icap-options';
import { KasperskyClient } from './clients/kaspersky/kaspersky-client';
import { KasperskySeClient } from './clients/kaspersky-se/kaspersky-se-client';
import { MetadefenderClient } from './clients/metadefender/metadefender-client';
import { SavapiClient } from './clients/savapi/savapi-client';
import { defaultCategorySymbols } from './clients/shared/hash-category';
import { SophosClient } from './clients/sophos/sophos-client';
import { VirustotalClient } from './clients/virustotal/virustotal-client';
import { createScanner } from './create-scanner';
import type { Scanner } from './scanner';
import type { ScannerCommonOptions } from './scanner-options';
import { SCANNER_TYPES, type ScannerSpecificOptions, type ScannerType, type SpecificOptionsOf } from './scanner-types';

const common: ScannerCommonOptions = {
  servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: '127.0.0.1', port: 3310, priority: 0 }] },
  timeoutSec: 5,
  retransmits: 2,
};
const noServers: ScannerCommonOptions = { ...common, servers: { ...common.servers, entries: [] } };

/** One rule's specific options of every type; the mapped type makes a type without an entry a compile error. */
const SPECIFIC: { readonly [T in ScannerType]: SpecificOptionsOf<T> } = {
  clamav: { type: 'clamav' },
  fprot: { type: 'fprot' },
  sophos: { type: 'sophos' },
  savapi: { type: 'savapi', tmpdir: '/var/tmp/savapi', productId: '12345' },
  kaspersky: { type: 'kaspersky', tmpdir: '/var/tmp/kav' },
  avast: { type: 'avast', tmpdir: '/var/tmp/avast' },
  kaspersky_se: { type: 'kaspersky_se', tmpdir: '/var/tmp/kse', useHttps: true, useFiles: true, keepalive: false, authString: 'Basic abc' },
  virustotal: {
    type: 'virustotal', apikey: 'k1', url: 'http://127.0.0.1:1/vt/', minimumEngines: 2, lowCategory: 4, mediumCategory: 8,
    symbols: { ...defaultCategorySymbols('VIRUSTOTAL'), high: { symbol: 'VT_BAD', enabled: true } },
  },
  metadefender: { type: 'metadefender', apikey: 'k2', url: 'http://127.0.0.1:1/md', minimumEngines: 3, lowCategory: 5, mediumCategory: 10, symbols: defaultCategorySymbols('METADEFENDER') },
  icap: { type: 'icap', options: { ...ICAP_DEFAULTS, scheme: 'virus_scan', x_client_header: true } },
};

const CLIENT_CLASS: { readonly [T in ScannerType]: abstract new (...args: never[]) => Scanner } = {
  clamav: ClamavClient, fprot: FprotClient, sophos: SophosClient, savapi: SavapiClient, kaspersky: KasperskyClient, avast: AvastClient,
  kaspersky_se: KasperskySeClient, virustotal: VirustotalClient, metadefender: MetadefenderClient, icap: IcapClient,
};

describe('createScanner', () => {
  it.each([...SCANNER_TYPES])('builds the %s client from options of that type', (type) => {
    const s = createScanner(common, SPECIFIC[type]);
    expect(s).toBeInstanceOf(CLIENT_CLASS[type]);
    expect(s.type).toBe(type);
  });

  it('hands each temp-file client its own tmpdir (and savapi its product id)', () => {
    expect(createScanner(common, SPECIFIC.savapi)).toMatchObject({ tmpdir: '/var/tmp/savapi', productId: '12345' });
    expect(createScanner(common, SPECIFIC.kaspersky)).toMatchObject({ tmpdir: '/var/tmp/kav' });
    expect(createScanner(common, SPECIFIC.avast)).toMatchObject({ tmpdir: '/var/tmp/avast' });
  });

  it('hands kaspersky_se its transport options', () => {
    const s = createScanner(common, SPECIFIC.kaspersky_se);
    expect(s).toMatchObject({
      scheme: 'https',
      keepalive: false,
      options: expect.objectContaining({ tmpdir: '/var/tmp/kse', useFiles: true, authString: 'Basic abc', timeoutSec: 5, retransmits: 2 }),
    });
  });

  it('hands the hash services their url, thresholds and symbols', () => {
    const vt = createScanner(noServers, SPECIFIC.virustotal) as VirustotalClient;
    expect(vt).toMatchObject({ url: 'http://127.0.0.1:1/vt' });
    expect(vt.thresholds).toMatchObject({ minimumEngines: 2, lowCategory: 4, mediumCategory: 8 });
    expect(vt.thresholds.symbols.high.symbol).toBe('VT_BAD');
    const md = createScanner(noServers, SPECIFIC.metadefender) as MetadefenderClient;
    expect(md).toMatchObject({ url: 'http://127.0.0.1:1/md', options: expect.objectContaining({ apikey: 'k2' }) });
  });

  it('hands icap its snake_case options as settings and the common default score', () => {
    const s = createScanner({ ...common, defaultScore: 2 }, SPECIFIC.icap) as IcapClient;
    expect(s.settings).toMatchObject({ scheme: 'virus_scan', xClientHeader: true, userAgent: 'Rspamd', defaultScore: 2 });
    expect((createScanner(common, SPECIFIC.icap) as IcapClient).settings.defaultScore).toBe(1);
  });

  it('does not compile a type with options of another type', () => {
    // Each entry must be a compile error (tsc -p tsconfig.check.json fails when one compiles).
    const wrong: ScannerSpecificOptions[] = [
      // @ts-expect-error clamav takes no tmpdir
      { type: 'clamav', tmpdir: '/tmp' },
      // @ts-expect-error savapi needs its product id
      { type: 'savapi', tmpdir: '/tmp' },
      // @ts-expect-error icap takes its options, not an apikey
      { type: 'icap', apikey: 'k' },
      // @ts-expect-error not a scanner type
      { type: 'clamd' },
    ];
    expect(wrong).toHaveLength(4);
  });

  it('asks an untyped caller for tmpdir and productId where the type needs them', () => {
    const untyped = (o: object) => o as ScannerSpecificOptions;
    expect(() => createScanner(common, untyped({ type: 'avast' }))).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('tmpdir is required') }));
    expect(() => createScanner(common, untyped({ type: 'savapi', tmpdir: '/tmp' }))).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('productId is required') }));
    expect(() => createScanner(common, { ...SPECIFIC.savapi, productId: 'two words' })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });

  it('rejects an unknown type and bad common options with their codes', () => {
    expect(() => createScanner(common, { type: 'clamd' } as unknown as ScannerSpecificOptions)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_UNKNOWN_TYPE' }));
    expect(() => createScanner({ ...common, timeoutSec: 0 }, SPECIFIC.clamav)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
    expect(() => createScanner({ ...common, retransmits: 1.5 }, SPECIFIC.clamav)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
    expect(() => createScanner(noServers, SPECIFIC.clamav)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });

  it('builds hash services without servers but asks for their apikey', () => {
    expect(createScanner(noServers, SPECIFIC.virustotal).type).toBe('virustotal');
    expect(() => createScanner(noServers, { ...SPECIFIC.metadefender, apikey: '' })).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS', message: expect.stringContaining('apikey is required') }));
    expect(() => createScanner(noServers, SPECIFIC.icap)).toThrow(expect.objectContaining({ code: 'AVF_ERR_SCANNER_OPTIONS' }));
  });
});
