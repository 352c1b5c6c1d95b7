import { createHash } from 'node:crypto';
import { blake2b, blake2bHex, Blake2bError } from './blake2b';

const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const RSPAMD_KEY_HEX =
  'ef43ae80cc8dc34c6f1bd6181bae87740ccaf78e5f2e5432f679b92726962092700785eb83f789e0d7322ad21a6441ef49ffc38c54f96774301e702eb71209fe';

describe('blake2b', () => {
  it('matches RFC 7693 Appendix A (BLAKE2b-512 of "abc")', () => {
    expect(blake2bHex(Buffer.from('abc'))).toBe(
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
  });

  it.each([0, 1, 127, 128, 129, 255, 256, 257, 1000, 70_000])('matches node:crypto blake2b512 (unkeyed) for %i bytes', (n) => {
    const input = Buffer.alloc(n);
    for (let i = 0; i < n; i++) input[i] = (i * 31 + 7) & 0xff;
    expect(blake2bHex(input)).toBe(createHash('blake2b512').update(input).digest('hex'));
  });

  it('derives the Rspamd key as BLAKE2b-512("rspamd")', () => {
    expect(blake2bHex(Buffer.from('rspamd'))).toBe(RSPAMD_KEY_HEX);
  });

  it('gives the spec test vector for the keyed EICAR digest (docs/semantics.md §6.2)', () => {
    expect(EICAR.length).toBe(68);
    expect(blake2bHex(EICAR, Buffer.from(RSPAMD_KEY_HEX, 'hex'))).toBe(
      '5b1e840d22fad1555457e0b5927c2c1c2f6abc72ee7d26b0ceea8ce1a1110630cb01a1bb506dea22bbf93b31ecaa92ad4255c21e8111ea88868a7bfcfc405601',
    );
  });

  it('matches the RFC 7693 / reference keyed KAT for an empty input (key 00..3f)', () => {
    const key = Uint8Array.from({ length: 64 }, (_, i) => i);
    // blake2b-kat.txt, in = (empty), key = 000102…3f
    expect(blake2bHex(new Uint8Array(0), key)).toBe(
      '10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568',
    );
  });

  it('supports shorter outputs and rejects invalid lengths', () => {
    expect(blake2b(Buffer.from('abc'), undefined, 32)).toHaveLength(32);
    expect(() => blake2b(Buffer.from('abc'), undefined, 65)).toThrow(Blake2bError);
    expect(() => blake2b(Buffer.from('abc'), new Uint8Array(65))).toThrow(Blake2bError);
  });
});
