import { TransportError } from '../errors';
import { DelimitedReader } from './delimited-reader';

describe('DelimitedReader', () => {
  it('returns the bytes before the delimiter and keeps the rest for the next read', async () => {
    const r = new DelimitedReader('srv');
    r.push(Buffer.from('stream: O'));
    const first = r.readUntil('\0');
    r.push(Buffer.from('K\0next\r'));
    expect((await first).toString()).toBe('stream: OK');
    r.push(Buffer.from('\nrest'));
    expect((await r.readUntil('\r\n')).toString()).toBe('next');
    expect(r.buffered).toBe(4);
  });

  it('finds a multi-byte delimiter split across chunks', async () => {
    const r = new DelimitedReader();
    const p = r.readUntil('\n\n');
    r.push(Buffer.from('a\n'));
    r.push(Buffer.from('\nb'));
    expect((await p).toString()).toBe('a');
  });

  it('rejects with AVF_ERR_TRANSPORT_CLOSED when the peer closes before the delimiter', async () => {
    const r = new DelimitedReader('127.0.0.1:3310');
    r.push(Buffer.from('stream: OK'));
    const p = r.readUntil('\0');
    r.end();
    await expect(p).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_CLOSED', server: '127.0.0.1:3310' });
  });

  it('still answers from received bytes after a failure, and rejects with that failure otherwise', async () => {
    const r = new DelimitedReader();
    r.push(Buffer.from('INSTREAM size limit exceeded. ERROR\0'));
    const err = new TransportError('AVF_ERR_TRANSPORT_RESET', 'reset');
    r.fail(err);
    expect((await r.readUntil('\0')).toString()).toBe('INSTREAM size limit exceeded. ERROR');
    await expect(r.readUntil('\0')).rejects.toBe(err);
  });

  it('readToEnd collects everything until a clean end', async () => {
    const r = new DelimitedReader();
    const p = r.readToEnd();
    r.push(Buffer.from('a'));
    r.push(Buffer.from('b'));
    r.end();
    expect((await p).toString()).toBe('ab');
  });

  it('has() tells whether a reply is complete', () => {
    const r = new DelimitedReader();
    r.push(Buffer.from('abc'));
    expect(r.has('\0')).toBe(false);
    r.push(Buffer.from([0]));
    expect(r.has('\0')).toBe(true);
  });
});
