import { createHash } from 'node:crypto';
import { cacheKey, rspamdDigest } from './cache-key';
import { CacheError } from './cache-errors';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const SHA = createHash('sha256').update(EICAR).digest('hex');
const rule = { name: 'clamav', prefix: 'rs_clamav_' };

describe('cacheKey', () => {
  it('is <prefix><sigver>:<sha256> by default', () => {
    expect(cacheKey(rule, SHA, '26700', { rspamdCompat: false })).toBe(`rs_clamav_26700:${SHA}`);
  });

  it('uses sigver 0 when the scanner reports none', () => {
    expect(cacheKey(rule, SHA, null, { rspamdCompat: false })).toBe(`rs_clamav_0:${SHA}`);
    expect(cacheKey(rule, SHA, '', { rspamdCompat: false })).toBe(`rs_clamav_0:${SHA}`);
  });

  it('uses the prefix verbatim and lower-cases the digest', () => {
    expect(cacheKey({ name: 'x', prefix: 'fp_dupe' }, SHA.toUpperCase(), null, { rspamdCompat: false })).toBe(`fp_dupe0:${SHA}`);
  });

  it('changes with the signature version', () => {
    expect(cacheKey(rule, SHA, '1', { rspamdCompat: false })).not.toBe(cacheKey(rule, SHA, '2', { rspamdCompat: false }));
  });

  it('rejects something that is not a SHA-256 hex digest', () => {
    expect(() => cacheKey(rule, 'abc', null, { rspamdCompat: false })).toThrow(CacheError);
  });

  it("gives Rspamd's exact key in compat mode (docs/semantics.md §6.2 test vector)", () => {
    const key = cacheKey(rule, SHA, '26700', { rspamdCompat: true, content: EICAR });
    expect(key).toBe(
      'rs_clamav_5b1e840d22fad1555457e0b5927c2c1c2f6abc72ee7d26b0ceea8ce1a1110630cb01a1bb506dea22bbf93b31ecaa92ad4255c21e8111ea88868a7bfcfc405601',
    );
    expect(rspamdDigest(EICAR)).toHaveLength(128);
  });

  it('needs the content in compat mode', () => {
    expect(() => cacheKey(rule, SHA, null, { rspamdCompat: true })).toThrow(/AVFLEET_CACHE_RSPAMD_COMPAT/);
  });
});
