/**
 * Seeded mutations of raw messages for the MIME fuzz and differential tests: bit flips,
 * truncation, spliced-in structural tokens, duplicated and deleted ranges,
 * CRLF ↔ LF conversion.
 */

/** mulberry32: small, seeded, reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MIME_SPLICES: readonly string[] = [
  '\r\n--', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary="x"\r\n', 'Content-Transfer-Encoding: base64\r\n', '=?utf-8?B?', '=\r\n',
  'Content-Type: message/rfc822\r\n\r\n', 'begin 644 a.bin\r\n', '\u0000', 'PK\u0003\u0004', '\u001f\u008b\u0008', 'Content-Type: application/ms-tnef\r\n',
  ': ', '\t', 'boundary=""', '--x--\r\n', 'Content-Disposition: attachment; filename*=utf-8\'\'%ff%fe\r\n',
];

/** 1–4 random operations on a copy of `input`; `splices` are the tokens spliced in. */
export function mutateMessage(input: Buffer, rand: () => number, splices: readonly string[] = MIME_SPLICES): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + Math.floor(rand() * 4);
  const at = (): number => Math.floor(rand() * (b.length + 1));
  for (let i = 0; i < ops; i++) {
    switch (Math.floor(rand() * 6)) {
      case 0: { // flip bytes
        for (let j = 0; j < 1 + rand() * 16 && b.length > 0; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        break;
      }
      case 1: // truncate
        b = b.subarray(0, at());
        break;
      case 2: { // splice in a structural token
        const p = at();
        const token = Buffer.from(splices[Math.floor(rand() * splices.length)]!, 'latin1');
        b = Buffer.concat([b.subarray(0, p), token, b.subarray(p)]);
        break;
      }
      case 3: { // duplicate a range
        const s = at();
        const e = Math.min(b.length, s + Math.floor(rand() * 4096));
        const p = at();
        b = Buffer.concat([b.subarray(0, p), b.subarray(s, e), b.subarray(p)]);
        break;
      }
      case 4: { // delete a range
        const s = at();
        b = Buffer.concat([b.subarray(0, s), b.subarray(Math.min(b.length, s + Math.floor(rand() * 512)))]);
        break;
      }
      default: { // line endings: CRLF ↔ LF
        b = Buffer.from(rand() < 0.5 ? b.toString('latin1').replace(/\r\n/g, '\n') : b.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
      }
    }
  }
  return b;
}
