import { category, clean, fail } from '../../verdict';
import { resolveThresholds } from '../shared/hash-lookup';
import { mapMetadefenderReply } from './metadefender-reply';

const H = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const t = resolveThresholds({ apikey: 'k', timeoutSec: 5 }, 'METADEFENDER');
const reply = (status: number, body: unknown) => ({ status, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });

describe('mapMetadefenderReply (docs/scanners.md metadefender)', () => {
  it('maps the HTTP level', () => {
    expect(mapMetadefenderReply(reply(404, { error: { code: 404003 } }), H, t)).toEqual(clean());
    expect(mapMetadefenderReply(reply(429, ''), H, t)).toEqual(fail('rate limit exceeded', 'rate_limit', 1));
    expect(mapMetadefenderReply(reply(401, ''), H, t)).toEqual(fail('Bad HTTP code: 401', 'error', 1));
    expect(mapMetadefenderReply(reply(200, 'nope'), H, t)).toMatchObject({ kind: 'fail', weight: 1, text: expect.stringMatching(/^Bad JSON reply: .+/) });
    expect(mapMetadefenderReply(reply(200, { sha256: H }), H, t)).toEqual(fail('Bad JSON reply: no scan_results', 'error', 1));
    expect(mapMetadefenderReply(reply(200, { scan_results: 'x' }), H, t)).toEqual(fail('Bad JSON reply: no scan_results', 'error', 1));
  });

  it('maps the quoted reply', () => {
    const body = { sha256: H, scan_results: { scan_all_result_i: 1, scan_all_result_a: 'Infected', total_avs: 37, total_detected_avs: 33, scan_details: {} } };
    expect(mapMetadefenderReply(reply(200, body), H, t)).toEqual(category('METADEFENDER_HIGH', `${H}:33/37`));
  });

  it.each([
    [{}, category('METADEFENDER_CLEAN', `${H}:0/0`)],
    [{ total_avs: 20, total_detected_avs: 0 }, category('METADEFENDER_CLEAN', `${H}:0/20`)],
    [{ total_avs: 20, total_detected_avs: 2 }, clean()],
    [{ total_avs: 20, total_detected_avs: 3 }, category('METADEFENDER_LOW', `${H}:3/20`)],
    [{ total_avs: 20, total_detected_avs: 5 }, category('METADEFENDER_MEDIUM', `${H}:5/20`)],
    [{ total_avs: 20, total_detected_avs: 10 }, category('METADEFENDER_HIGH', `${H}:10/20`)],
    [{ total_detected_avs: 4 }, category('METADEFENDER_LOW', `${H}:4/0`)],
  ])('scan_results %j', (results, expected) => {
    expect(mapMetadefenderReply(reply(200, { scan_results: results }), H, t)).toEqual(expected);
  });
});
