import { Readable } from 'node:stream';
import { category, clean, fail } from '../../verdict';
import { bodyDigest, categoryFromCounts } from '../shared/hash-category';
import { resolveThresholds } from '../shared/hash-lookup';
import { mapVirustotalReply, virustotalRequestUrl } from './virustotal-reply';

const H = '44d88612fea8a8f36de82e1278abb02f';
const t = resolveThresholds({ apikey: 'k', timeoutSec: 5 }, 'VIRUSTOTAL');
const reply = (status: number, body: unknown) => ({ status, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });

describe('mapVirustotalReply (docs/scanners.md virustotal, current categories)', () => {
  it('maps the HTTP level', () => {
    expect(mapVirustotalReply(reply(404, ''), H, t)).toEqual(clean());
    expect(mapVirustotalReply(reply(204, ''), H, t)).toEqual(fail('rate limit exceeded', 'rate_limit', 1));
    expect(mapVirustotalReply(reply(403, ''), H, t)).toEqual(fail('Bad HTTP code: 403', 'error', 1));
    expect(mapVirustotalReply(reply(200, '<html>'), H, t)).toMatchObject({ kind: 'fail', weight: 1, text: expect.stringMatching(/^Bad JSON reply: .+/) });
  });

  it('maps the quoted replies', () => {
    const known = { response_code: 1, resource: H, positives: 61, total: 68, scan_date: '2024-05-01 10:00:00', verbose_msg: 'Scan finished, information embedded', scans: {} };
    expect(mapVirustotalReply(reply(200, known), H, t)).toEqual(category('VIRUSTOTAL_HIGH', `${H}:61/68`));
    const unknown = { response_code: 0, resource: H, verbose_msg: 'The requested resource is not among the finished, queued or pending scans' };
    expect(mapVirustotalReply(reply(200, unknown), H, t)).toEqual(category('VIRUSTOTAL_CLEAN', `${H}:0`));
  });

  it('fails without positives unless response_code is 0', () => {
    const noPositives = fail('Bad JSON reply: no `positives` element', 'error', 1);
    expect(mapVirustotalReply(reply(200, { response_code: -2 }), H, t)).toEqual(noPositives);
    expect(mapVirustotalReply(reply(200, {}), H, t)).toEqual(noPositives);
    expect(mapVirustotalReply(reply(200, { response_code: 1, positives: '5' }), H, t)).toEqual(noPositives);
    expect(mapVirustotalReply(reply(200, [1, 2]), H, t)).toEqual(noPositives);
  });

  it.each([
    [0, category('VIRUSTOTAL_CLEAN', `${H}:0/60`)],
    [1, clean()],
    [2, clean()],
    [3, category('VIRUSTOTAL_LOW', `${H}:3/60`)],
    [4, category('VIRUSTOTAL_LOW', `${H}:4/60`)],
    [5, category('VIRUSTOTAL_MEDIUM', `${H}:5/60`)],
    [9, category('VIRUSTOTAL_MEDIUM', `${H}:9/60`)],
    [10, category('VIRUSTOTAL_HIGH', `${H}:10/60`)],
  ])('default thresholds: %i positives', (p, expected) => {
    expect(mapVirustotalReply(reply(200, { response_code: 1, positives: p, total: 60 }), H, t)).toEqual(expected);
  });

  it('uses the rule\'s thresholds and symbols; a disabled category emits nothing', () => {
    const custom = resolveThresholds(
      { apikey: 'k', timeoutSec: 5, minimumEngines: 1, lowCategory: 2, mediumCategory: 4, symbols: { clean: { symbol: 'VT_OK', enabled: false }, high: { symbol: 'VT_BAD', enabled: true } } },
      'VIRUSTOTAL',
    );
    expect(categoryFromCounts(custom, H, 0, 9)).toEqual(clean());
    expect(categoryFromCounts(custom, H, 1, 9)).toEqual(category('VIRUSTOTAL_LOW', `${H}:1/9`));
    expect(categoryFromCounts(custom, H, 3, 9)).toEqual(category('VIRUSTOTAL_MEDIUM', `${H}:3/9`));
    expect(categoryFromCounts(custom, H, 4, 9)).toEqual(category('VT_BAD', `${H}:4/9`));
    expect(mapVirustotalReply(reply(200, { response_code: 0 }), H, custom)).toEqual(clean());
  });

  it('builds the request URL without encoding', () => {
    expect(virustotalRequestUrl('https://www.virustotal.com/vtapi/v2/file', 'abc', H)).toBe(`https://www.virustotal.com/vtapi/v2/file/report?apikey=abc&resource=${H}`);
  });
});

describe('bodyDigest', () => {
  const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
  it('computes MD5 and SHA-256 from a buffer or a stream', async () => {
    expect(await bodyDigest({ size: 68, buffer: eicar, open: () => Readable.from([eicar]) }, 'md5')).toBe(H);
    expect(await bodyDigest({ size: 68, open: () => Readable.from([eicar.subarray(0, 7), eicar.subarray(7)]) }, 'sha256')).toBe('275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f');
  });
  it('uses a digest the caller already has without reading the body', async () => {
    const open = jest.fn(() => Readable.from([eicar]));
    expect(await bodyDigest({ size: 68, md5: 'ABCDEF', open }, 'md5')).toBe('abcdef');
    expect(open).not.toHaveBeenCalled();
  });
});
