import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { TempFileError, withTempFile } from './temp-file';

describe('withTempFile', () => {
  let dir: string;
  const oldUmask = process.umask(0);
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'avf-temp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => process.umask(oldUmask));

  it('writes a private <32 hex>.<ext> file with the body and removes it afterwards', async () => {
    const seen = await withTempFile(dir, 'avtmp', { size: 3, buffer: Buffer.from('abc'), open: () => Readable.from([]) }, async (p) => ({
      p,
      mode: statSync(p).mode & 0o777,
      content: readFileSync(p, 'utf8'),
    }));
    expect(path.basename(seen.p)).toMatch(/^[0-9a-f]{32}\.avtmp$/);
    expect(path.dirname(seen.p)).toBe(dir);
    expect(seen.mode).toBe(0o600); // even with umask 0
    expect(seen.content).toBe('abc');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('streams a body and removes the file when fn throws', async () => {
    const body = { size: 4, open: () => Readable.from([Buffer.from('ab'), 'cd']) };
    await expect(withTempFile(dir, 'tmp', body, async (p) => { expect(readFileSync(p, 'utf8')).toBe('abcd'); throw new Error('boom'); })).rejects.toThrow('boom');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects with TempFileError when the file cannot be created or the body not read, leaving nothing behind', async () => {
    const fn = jest.fn();
    await expect(withTempFile(path.join(dir, 'nope'), 'tmp', { size: 1, buffer: Buffer.from('x'), open: () => Readable.from([]) }, fn)).rejects.toEqual(
      expect.objectContaining({ code: 'AVF_ERR_TEMP_FILE', message: expect.stringMatching(/^cannot store temporary file: ENOENT/) }),
    );
    const broken = { size: 1, open: () => { throw new Error('object store down'); } };
    await expect(withTempFile(dir, 'tmp', broken, fn)).rejects.toBeInstanceOf(TempFileError);
    expect(fn).not.toHaveBeenCalled();
    expect(readdirSync(dir)).toEqual([]);
  });
});
