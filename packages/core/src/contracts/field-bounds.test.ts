import {
  MAX_ADDRESS_BYTES, MAX_HOST_BYTES, MAX_META_BYTES, MAX_NAME_BYTES, MAX_QUEUE_ID_BYTES, MAX_RECIPIENTS, boundField, boundName, boundRequestMeta, boundText,
} from './field-bounds';
import { EMPTY_META, type RequestMeta } from './request-meta';

describe('boundText', () => {
  it('returns a text that fits unchanged (the same string)', () => {
    const name = 'a'.repeat(MAX_NAME_BYTES - 4) + '.pdf';
    expect(boundName(name)).toBe(name);
    expect(boundName(null)).toBeNull();
    expect(boundText('', 10)).toBe('');
  });

  it('cuts a long name to at most the bound, keeps its start and extension, and says how many bytes were cut', () => {
    const name = 'report-' + 'x'.repeat(50_000) + '.exe';
    const cut = boundName(name) as string;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(cut.startsWith('report-xxx')).toBe(true);
    expect(cut.endsWith('xxx.exe')).toBe(true);
    const m = /…\[(\d+) bytes cut\]…/.exec(cut);
    expect(m).not.toBeNull();
    // What is kept plus what was cut is the whole name.
    expect(Buffer.byteLength(cut) - Buffer.byteLength(m![0]) + Number(m![1])).toBe(Buffer.byteLength(name));
  });

  it('never splits a multi-byte character', () => {
    for (const ch of ['é', '€', '😀']) {
      for (let extra = 0; extra < 5; extra++) {
        const name = 'n'.repeat(extra) + ch.repeat(400);
        const cut = boundName(name) as string;
        expect(cut).not.toContain('\uFFFD');
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
      }
    }
  });

  it('is exact at the edge: the bound fits, one byte more is cut', () => {
    expect(boundText('y'.repeat(100), 100)).toBe('y'.repeat(100));
    const over = boundText('y'.repeat(101), 100);
    expect(over).toContain('bytes cut');
    expect(Buffer.byteLength(over)).toBeLessThanOrEqual(100);
  });
});

describe('boundRequestMeta: one bound per field, whatever the front end', () => {
  const meta = (over: Partial<RequestMeta>): RequestMeta => ({ ...EMPTY_META, ...over });
  const bytes = (m: RequestMeta): number =>
    [m.ip, m.helo, m.hostname, m.from, m.queueId, m.user, ...m.rcpt].reduce((n, v) => n + (v === null ? 0 : Buffer.byteLength(v)), 0);

  it('keeps metadata within its bounds as it is: the same object, nothing reported', () => {
    const m = meta({ ip: '192.0.2.1', helo: 'mx.example.org', hostname: 'mx.example.org', from: 'a@example.org', rcpt: ['b@example.org', 'c@example.org'], queueId: '4XyZ1', user: 'alice', deadlineSec: 5 });
    expect(boundRequestMeta(m)).toEqual({ meta: m, cut: [], rcptDropped: 0 });
    expect(boundRequestMeta(m).meta).toBe(m);
  });

  it('cuts each long field to its bound with the marker, and says which', () => {
    const m = meta({
      helo: 'h'.repeat(100_000), hostname: 'n'.repeat(300), from: `${'f'.repeat(70_000)}@example.org`, rcpt: [`${'r'.repeat(5000)}@example.org`],
      queueId: 'Q'.repeat(1000), user: 'u'.repeat(257), score: 3, deadlineSec: 7,
    });
    const { meta: b, cut, rcptDropped } = boundRequestMeta(m);
    expect(new Set(cut)).toEqual(new Set(['helo', 'hostname', 'from', 'rcpt', 'queueId', 'user']));
    expect(rcptDropped).toBe(0);
    expect(Buffer.byteLength(b.helo!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(Buffer.byteLength(b.hostname!)).toBeLessThanOrEqual(MAX_HOST_BYTES);
    expect(Buffer.byteLength(b.from!)).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    expect(Buffer.byteLength(b.rcpt[0])).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    expect(Buffer.byteLength(b.queueId!)).toBeLessThanOrEqual(MAX_QUEUE_ID_BYTES);
    expect(Buffer.byteLength(b.user!)).toBeLessThanOrEqual(MAX_ADDRESS_BYTES);
    for (const v of [b.helo, b.hostname, b.from, b.rcpt[0], b.queueId, b.user]) expect(v).toMatch(/…\[\d+ bytes cut\]…/);
    // The end of an address stays visible after the marker.
    expect(b.from!.endsWith('@example.org')).toBe(true);
    // What is not the client's text passes through.
    expect([b.score, b.deadlineSec]).toEqual([3, 7]);
    // Bounded twice: nothing more happens.
    expect(boundRequestMeta(b)).toEqual({ meta: b, cut: [], rcptDropped: 0 });
  });

  it(`carries at most ${MAX_RECIPIENTS} recipients; the rest are dropped and counted`, () => {
    const rcpt = Array.from({ length: 2500 }, (_, i) => `r${i}@x.org`);
    const { meta: b, cut, rcptDropped } = boundRequestMeta(meta({ rcpt }));
    expect(b.rcpt).toEqual(rcpt.slice(0, MAX_RECIPIENTS));
    expect(rcptDropped).toBe(2500 - MAX_RECIPIENTS);
    expect(cut).toEqual(['rcpt']);
  });

  it(`keeps the whole metadata under ${MAX_META_BYTES} bytes: long recipients stop the list earlier`, () => {
    const rcpt = Array.from({ length: MAX_RECIPIENTS }, (_, i) => `${String(i).padStart(4, '0')}${'a'.repeat(MAX_ADDRESS_BYTES - 20)}@example.org`);
    const long = 'x'.repeat(10_000);
    const { meta: b, rcptDropped } = boundRequestMeta(meta({ helo: long, hostname: long, from: long, queueId: long, user: long, ip: '2001:db8::1', rcpt }));
    expect(bytes(b)).toBeLessThanOrEqual(MAX_META_BYTES);
    expect(b.rcpt.length).toBeGreaterThan(100);
    expect(b.rcpt.length + rcptDropped).toBe(MAX_RECIPIENTS);
    // The first recipients are the ones kept, in order.
    expect(b.rcpt).toEqual(rcpt.slice(0, b.rcpt.length));
  });

  it('replaces control characters, which could end a header line in a scanner protocol', () => {
    const { meta: b, cut } = boundRequestMeta(meta({ from: 'a@x.org\r\nX-Evil: 1', rcpt: ['b@x.org\u0000c'], helo: 'ok.example' }));
    expect(b.from).toBe('a@x.org??X-Evil: 1');
    expect(b.rcpt).toEqual(['b@x.org?c']);
    expect(b.helo).toBe('ok.example');
    expect(new Set(cut)).toEqual(new Set(['from', 'rcpt']));
    expect(boundField('plain', 10)).toBe('plain');
  });
});
