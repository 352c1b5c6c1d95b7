import { Readable } from 'node:stream';
import { seededRandom } from '../../../../test/helpers/mutate-message';
import { decodeTransferEncoding } from './transfer-decoding';
import { decodesAsStream, decodingStream } from './transfer-decoding-stream';

/** `encoded` fed to the stream in pieces of the given sizes, the output joined. */
async function streamed(encoded: Buffer, encoding: string | null, sizes: () => number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let off = 0; off < encoded.length; ) {
    const n = Math.max(1, sizes());
    pieces.push(encoded.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(decodingStream(encoding))) out.push(c as Buffer);
  return Buffer.concat(out);
}

const whole = (encoded: Buffer, encoding: string | null): Buffer => decodeTransferEncoding(encoded, encoding).content;

describe('decodingStream gives the bytes decodeTransferEncoding gives for the whole body, however the input is cut', () => {
  const random = seededRandom(17);
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const cuts = [() => 1, () => 3, () => 4, () => 77, () => 1 + int(200), () => 64 * 1024];

  it('base64: CRLF and LF lines, lines of odd lengths, junk outside the alphabet, `=` in the middle and a partial last group', async () => {
    const bodies: Buffer[] = [];
    for (let i = 0; i < 30; i++) {
      const data = bytes(int(3000));
      const b64 = data.toString('base64');
      const eol = i % 2 === 0 ? '\r\n' : '\n';
      const width = [76, 64, 75, 3, 1000][i % 5]!;
      let text = (b64.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol);
      if (i % 3 === 0) text = text.replace(/A/g, 'A*').replace(/x/g, ' x');
      if (i % 4 === 0) text = `${text}${eol}${bytes(10).toString('base64').slice(0, 6)}=${bytes(7).toString('base64')}`;
      if (i % 5 === 0) text = `${text.slice(0, text.length - 1 - int(3))}`;
      bodies.push(Buffer.from(text, 'latin1'));
    }
    bodies.push(Buffer.from('QUJD=RE\r\n=\r\nVGVzdA=', 'latin1'), Buffer.from('=', 'latin1'), Buffer.alloc(0));
    for (const [i, body] of bodies.entries()) {
      for (const [k, cut] of cuts.entries()) {
        expect({ body: i, cut: k, same: (await streamed(body, 'base64', cut)).equals(whole(body, 'base64')) }).toEqual({ body: i, cut: k, same: true });
      }
    }
  });

  it('quoted-printable: CRLF and LF lines, soft breaks, escapes split across pieces, trailing blanks, no final line end', async () => {
    const alphabet = ['a', 'b', ' ', '\t', '=', '=3D', '=C3=A9', '=\r\n', '=\n', '\r\n', '\n', '=4', '=ZZ', '\r', 'é'];
    for (let i = 0; i < 40; i++) {
      const body = Buffer.from(Array.from({ length: int(400) }, () => alphabet[int(alphabet.length)]).join(''), 'utf8');
      for (const [k, cut] of cuts.entries()) {
        expect({ body: i, cut: k, same: (await streamed(body, 'quoted-printable', cut)).equals(whole(body, 'quoted-printable')) }).toEqual({ body: i, cut: k, same: true });
      }
    }
  });

  it('passes other encodings through and refuses uuencode', async () => {
    const body = bytes(5000);
    for (const encoding of [null, '7bit', '8bit', 'binary', 'x-unknown']) expect((await streamed(body, encoding, () => 333)).equals(body)).toBe(true);
    expect(decodesAsStream('base64')).toBe(true);
    expect(decodesAsStream('x-uuencode')).toBe(false);
    expect(() => decodingStream('x-uuencode')).toThrow(RangeError);
  });
});
