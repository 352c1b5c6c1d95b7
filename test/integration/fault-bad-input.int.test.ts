import { deflateRawSync, crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { EICAR_TEST_STRING, type ScanResult } from '@avfleet/core';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';

/**
 * Bad input through the real producer and worker: every malformed, hostile or
 * oversized message ends as a clear JSON error (400, 413) or as a result — never a
 * 500, a hang or a crash — and the fleet scans normally afterwards.
 */

jest.setTimeout(120000);

const MAX_BYTES = 4 * 1024 * 1024;
/** AVFLEET_MIME_MAX_PARTS / _MAX_DEPTH of this fleet (defaults 1000 / 32). */
const MAX_PARTS = 50;
const MAX_DEPTH = 10;
let fleet: FleetUnderTest;

beforeAll(async () => {
  fleet = await startFleetUnderTest({
    testFile: 'fault-bad-input.int.test.ts',
    conf: `clamav {\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  scan_mime_parts = true;\n  scan_text_mime = true;\n  servers = "\${CLAMD}";\n  prefix = "\${PREFIX}cache_";\n}\n`,
    env: { AVFLEET_MAX_MESSAGE_BYTES: String(MAX_BYTES), AVFLEET_MIME_MAX_PARTS: String(MAX_PARTS), AVFLEET_MIME_MAX_DEPTH: String(MAX_DEPTH) },
  });
});

afterAll(async () => {
  await fleet?.close();
});

const CRLF = '\r\n';
const head = (extra: string[] = []): string => ['From: a@example.org', 'To: b@example.org', `Subject: bad input ${randomBytes(4).toString('hex')}`, 'MIME-Version: 1.0', ...extra].join(CRLF);

/** A ZIP archive (PKWARE APPNOTE: local headers, central directory, end record), deflated members. */
function zip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data, { level: 9 });
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 10); local.writeUInt32LE(crc, 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0, 8); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(0, 12); central.writeUInt32LE(crc, 16); central.writeUInt32LE(packed.length, 20); central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function withAttachment(name: string, content: Buffer, type = 'application/zip'): Buffer {
  const b = `b-${randomBytes(4).toString('hex')}`;
  return Buffer.from([
    head([`Content-Type: multipart/mixed; boundary="${b}"`]), '', `--${b}`, 'Content-Type: text/plain', '', 'see attachment', `--${b}`,
    `Content-Type: ${type}; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, 'Content-Transfer-Encoding: base64', '',
    ...(content.toString('base64').match(/.{1,76}/g) ?? []), `--${b}--`, '',
  ].join(CRLF), 'latin1');
}

/** `n` small parts; `named`: each an attachment with a file name (so every one is scanned). */
function manyParts(n: number, named = false): Buffer {
  const b = 'many';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const disposition = named ? [`Content-Disposition: attachment; filename="part${i}.bin"`] : [];
    parts.push(`--${b}`, 'Content-Type: application/octet-stream', ...disposition, '', `part ${i}`);
  }
  return Buffer.from([head([`Content-Type: multipart/mixed; boundary="${b}"`]), '', ...parts, `--${b}--`, ''].join(CRLF), 'latin1');
}

/** EICAR at the bottom of `levels` nested multiparts: as text, or as an `eicar.com` attachment. */
function deepNesting(levels: number, leaf: 'text' | 'attachment' = 'text'): Buffer {
  const lines = [head([`Content-Type: multipart/mixed; boundary="l0"`]), ''];
  for (let i = 1; i <= levels; i++) lines.push(`--l${i - 1}`, `Content-Type: multipart/mixed; boundary="l${i}"`, '');
  const leafHeaders = leaf === 'text' ? ['Content-Type: text/plain'] : ['Content-Type: application/octet-stream', 'Content-Disposition: attachment; filename="eicar.com"'];
  lines.push(`--l${levels}`, ...leafHeaders, '', EICAR_TEST_STRING);
  for (let i = levels; i >= 0; i--) lines.push(`--l${i}--`);
  return Buffer.from(lines.join(CRLF), 'latin1');
}

function nestedZip(levels: number): Buffer {
  let inner = zip([{ name: 'eicar.com', data: Buffer.from(EICAR_TEST_STRING, 'latin1') }]);
  for (let i = 0; i < levels; i++) inner = zip([{ name: `level${i}.zip`, data: inner }]);
  return inner;
}

const CASES: [string, () => Buffer][] = [
  ['non-MIME binary bytes', () => randomBytes(64 * 1024)],
  ['headers only, no blank line, no body', () => Buffer.from(head(), 'latin1')],
  ['a lone CRLF', () => Buffer.from('\r\n')],
  ['multipart without its boundary ever appearing', () => Buffer.from([head(['Content-Type: multipart/mixed; boundary="nowhere"']), '', 'just text', ''].join(CRLF))],
  ['multipart with no boundary parameter', () => Buffer.from([head(['Content-Type: multipart/mixed']), '', '--x', 'Content-Type: text/plain', '', 'hi', '--x--', ''].join(CRLF))],
  ['an unterminated multipart', () => Buffer.from([head(['Content-Type: multipart/mixed; boundary="u"']), '', '--u', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', 'AAAA'].join(CRLF))],
  ['broken base64', () => Buffer.from([head(['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64']), '', '%%%not*base64!!!===AB=C', '@@@@', ''].join(CRLF))],
  ['broken quoted-printable', () => Buffer.from([head(['Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable']), '', '=ZZ=\r\n=4', ''].join(CRLF))],
  ['a 1 MiB header block', () => Buffer.from([head(Array.from({ length: 16 * 1024 }, (_, i) => `X-Filler-${i}: ${'h'.repeat(50)}`)), '', 'body', ''].join(CRLF))],
  ['one 2 MiB header line', () => Buffer.from([head([`X-Long: ${'l'.repeat(2 * 1024 * 1024)}`]), '', 'body', ''].join(CRLF))],
  ['10 000 parts', () => manyParts(10000)],
  ['multipart nested 500 levels deep', () => deepNesting(500)],
  ['a zip bomb (120 MiB of zeros in one member)', () => withAttachment('bomb.zip', zip([{ name: 'zeros.bin', data: Buffer.alloc(120 * 1024 * 1024) }]))],
  ['a zip with 5 000 members', () => withAttachment('many.zip', zip(Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}`) }))))],
  ['zips nested 20 levels deep', () => withAttachment('nested.zip', nestedZip(20))],
  ['a zip that is only garbage', () => withAttachment('broken.zip', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(4096)]))],
  ['NUL bytes and 8-bit junk in headers', () => Buffer.from(`From: \u0000\u00ff\u00fe\r\nSubject: \u0000\u0000\r\nContent-Type: \u0000/\u0000; boundary=\u0000\r\n\r\n\u0000body`, 'latin1')],
];

describe('bad input ends as a clear error or a result, never a crash', () => {
  test('an empty body is a 400 with a JSON error', async () => {
    const res = await fetch(`${fleet.producerUrl}/scans?wait=5`, { method: 'POST', body: Buffer.alloc(0) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AVF_ERR_EMPTY_BODY');
  });

  test('a body over AVFLEET_MAX_MESSAGE_BYTES is a 413, declared or streamed', async () => {
    const big = Buffer.alloc(MAX_BYTES + 1, 0x61);
    const declared = await fetch(`${fleet.producerUrl}/scans?wait=5`, { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('AVF_ERR_TOO_LARGE');
    // Chunked (no Content-Length): the limit is enforced while reading.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(MAX_BYTES / 4));
        c.close();
      },
    });
    const chunked = await fetch(`${fleet.producerUrl}/scans?wait=5`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  test.each(CASES)('%s', async (_label, make) => {
    const raw = make();
    const res = await fetch(`${fleet.producerUrl}/scans?wait=60`, { method: 'POST', body: raw, signal: AbortSignal.timeout(90000) });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === 200) {
      const r = body as unknown as ScanResult;
      expect(r.state).toBe('done');
      expect(typeof r.action).toBe('string');
    } else {
      expect({ status: res.status, body }).toEqual({ status: expect.any(Number), body: { error: { code: expect.stringMatching(/^AVF_ERR_/), message: expect.any(String) } } });
      expect([400, 413, 422]).toContain(res.status);
    }
    // The producer is still there after each one.
    expect((await fetch(`${fleet.producerUrl}/healthz`)).status).toBe(200);
  });

  test.each([
    ['10 000 parts', () => manyParts(10000)],
    ['nesting 500 levels deep', () => deepNesting(500)],
    ['a 1 MiB header block', () => Buffer.from([head(Array.from({ length: 16 * 1024 }, (_, i) => `X-Filler-${i}: ${'h'.repeat(50)}`)), '', 'body', ''].join(CRLF))],
  ] as [string, () => Buffer][])('past a MIME limit (%s): every rule ends as fail/limits, with its fail symbol', async (_label, make) => {
    const r = await fleet.scan(make());
    expect(r.status).toBe(200);
    const result = r.body as unknown as ScanResult;
    expect(result.message_verdicts?.clamav).toMatchObject({ kind: 'fail', reason: 'limits' });
    expect(result.symbols).toHaveProperty('CLAM_VIRUS_FAIL');
  });

  test.each([
    [`${MAX_PARTS + 1} parts (AVFLEET_MIME_MAX_PARTS=${MAX_PARTS})`, () => manyParts(MAX_PARTS + 1, true), null],
    [`${MAX_PARTS - 10} parts`, () => manyParts(MAX_PARTS - 10, true), MAX_PARTS - 10],
    [`nesting ${MAX_DEPTH + 2} levels (AVFLEET_MIME_MAX_DEPTH=${MAX_DEPTH})`, () => deepNesting(MAX_DEPTH + 2, 'attachment'), null],
    [`nesting ${MAX_DEPTH - 4} levels`, () => deepNesting(MAX_DEPTH - 4, 'attachment'), 1],
  ] as [string, () => Buffer, number | null][])('the MIME limits are the fleet settings: %s', async (label, make, scannedParts) => {
    const r = await fleet.scan(make());
    expect(r.status).toBe(200);
    const result = r.body as unknown as ScanResult;
    if (scannedParts === null) {
      expect(result.message_verdicts?.clamav).toMatchObject({ kind: 'fail', reason: 'limits' });
      expect(result.symbols).toHaveProperty('CLAM_VIRUS_FAIL');
    } else {
      // Split normally: every part scanned on its own, no whole-message limits verdict.
      expect(result.message_verdicts?.clamav).toBeUndefined();
      expect(result.parts).toHaveLength(scannedParts);
      expect(result.symbols).not.toHaveProperty('CLAM_VIRUS_FAIL');
      if (label.startsWith('nesting')) expect(result.symbols).toHaveProperty('CLAM_VIRUS');
    }
  });

  test('EICAR inside nested zips is still found', async () => {
    const r = await fleet.scan(withAttachment('nested.zip', nestedZip(3)));
    expect(r.status).toBe(200);
    expect((r.body as unknown as ScanResult).symbols).toHaveProperty('CLAM_VIRUS');
  });

  test('after all that, a normal EICAR message is found as usual', async () => {
    const r = await fleet.scan(withAttachment('eicar.com', Buffer.from(EICAR_TEST_STRING, 'latin1'), 'application/octet-stream'));
    expect(r.status).toBe(200);
    expect((r.body as unknown as ScanResult).action).toBe('reject');
  });
});
