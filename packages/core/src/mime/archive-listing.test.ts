import { gzipSync } from 'node:zlib';
import { tar, zip } from '../../test/archive-writers';
import { listArchiveMembers } from './archive-listing';
import { detectType } from './detect-type';

/** gzip with an FNAME field. */
function gzipNamed(data: Buffer, name: string): Buffer {
  const plain = gzipSync(data);
  const header = Buffer.from(plain.subarray(0, 10));
  header[3] = 8;
  return Buffer.concat([header, Buffer.from(`${name}\0`, 'latin1'), plain.subarray(10)]);
}

describe('listArchiveMembers', () => {
  it('lists zip members, stored and deflated, skipping directories', () => {
    const z = zip([{ name: 'a.txt', data: 'hello' }, { name: 'dir/', data: '' }, { name: 'dir/b.exe', data: 'MZ'.repeat(100), deflate: true }]);
    expect(listArchiveMembers(z)).toEqual({ format: 'zip', members: ['a.txt', 'dir/b.exe'], encrypted: false, truncated: false, limit: null });
  });

  it('names nested archive members as outer > inner, to any depth within the limit', () => {
    const level3 = zip([{ name: 'inner/eicar.com', data: 'x' }]);
    const level2 = zip([{ name: 'level3.zip', data: level3, deflate: true }]);
    const level1 = zip([{ name: 'level2.zip', data: level2 }]);
    expect(listArchiveMembers(level1)?.members).toEqual(['level2.zip', 'level2.zip > level3.zip', 'level2.zip > level3.zip > inner/eicar.com']);
    const shallow = listArchiveMembers(level1, { limits: { maxDepth: 2 } });
    expect(shallow?.members).toEqual(['level2.zip', 'level2.zip > level3.zip']);
    expect(shallow).toMatchObject({ truncated: true, limit: 'depth' });
  });

  it('flags encrypted members and does not look inside them', () => {
    const inner = zip([{ name: 'x.txt', data: 'x' }]);
    const listing = listArchiveMembers(zip([{ name: 'secret.zip', data: inner, encrypted: true }]));
    expect(listing).toMatchObject({ members: ['secret.zip'], encrypted: true });
  });

  it('stops at maxMembers', () => {
    const many = zip(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
    const listing = listArchiveMembers(many, { limits: { maxMembers: 5 } });
    expect(listing?.members).toHaveLength(5);
    expect(listing).toMatchObject({ truncated: true, limit: 'members' });
  });

  it('lists tar members and members of a .tar.gz without an extra level', () => {
    const t = tar({ 'logs/readme.txt': 'read me', 'logs/eicar.com': 'x' });
    expect(listArchiveMembers(t)?.members).toEqual(['logs/readme.txt', 'logs/eicar.com']);
    expect(listArchiveMembers(gzipSync(t), { name: 'logs.tar.gz' })).toMatchObject({ format: 'gzip', members: ['logs/readme.txt', 'logs/eicar.com'] });
  });

  it('names the content of a gzip stream by its header, else by the archive name', () => {
    expect(listArchiveMembers(gzipNamed(Buffer.from('x'), 'eicar.com'))?.members).toEqual(['eicar.com']);
    expect(listArchiveMembers(gzipSync(Buffer.from('x')), { name: 'report.pdf.gz' })?.members).toEqual(['report.pdf']);
    const zipped = zip([{ name: 'f.txt', data: 'x' }]);
    expect(listArchiveMembers(gzipNamed(zipped, 'f.zip'))?.members).toEqual(['f.zip', 'f.zip > f.txt']);
  });

  it('returns null for non-archives and never throws on garbage', () => {
    expect(listArchiveMembers(Buffer.from('just text'))).toBeNull();
    const z = zip([{ name: 'a.txt', data: 'hello' }, { name: 'b.txt', data: 'x'.repeat(300), deflate: true }]);
    for (let cut = 1; cut < z.length; cut += 7) {
      expect(() => listArchiveMembers(z.subarray(0, cut))).not.toThrow();
    }
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(600, 0);
      for (let k = 0; k < junk.length; k++) junk[k] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      const prefixes = ['PK\x03\x04', 'PK\x05\x06', '\x1f\x8b\x08', 'Rar!\x1a\x07\x00', 'Rar!\x1a\x07\x01\x00', '\x78\x9f\x3e\x22'];
      Buffer.from(prefixes[i % prefixes.length], 'latin1').copy(junk, 0);
      expect(() => listArchiveMembers(junk)).not.toThrow();
    }
  });

  it('lists a zip truncated before its central directory from the local headers', () => {
    const z = zip([{ name: 'a.txt', data: 'hello' }, { name: 'b.txt', data: 'world' }]);
    expect(listArchiveMembers(z.subarray(0, 75))?.members).toEqual(['a.txt', 'b.txt']);
  });

  it('bounds decompression of a highly compressed member (ratio limit)', () => {
    const bomb = zip([{ name: 'big.zip', data: Buffer.concat([zip([{ name: 'x', data: 'y' }]), Buffer.alloc(5_000_000)]), deflate: true }]);
    const listing = listArchiveMembers(bomb, { limits: { maxRatio: 2, maxBytes: 1000 } });
    expect(listing?.members[0]).toBe('big.zip');
    expect(listing).toMatchObject({ truncated: true, limit: 'bytes' });
    // Within the byte budget the ratio bound is the one that stops it: 64 KiB minimum, ~5 kB deflated × 2 is less.
    expect(listArchiveMembers(bomb, { limits: { maxRatio: 2 } })).toMatchObject({ truncated: true, limit: 'ratio', members: ['big.zip', 'big.zip > x'] });
    expect(listArchiveMembers(bomb)).toMatchObject({ truncated: true, limit: 'ratio' }); // zeros deflate ~1000:1, over the default 100
    expect(listArchiveMembers(bomb, { limits: { maxRatio: 2000 } })).toMatchObject({ truncated: false, limit: null });
  });

  it('reports the first limit reached and keeps counting the others as truncation only', () => {
    const inner = zip([{ name: 'deep.zip', data: zip([{ name: 'x', data: 'y' }]) }]);
    const many = zip([{ name: 'n.zip', data: inner }, ...Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, data: 'x' }))]);
    expect(listArchiveMembers(many, { limits: { maxDepth: 2, maxMembers: 5 } })).toMatchObject({ truncated: true, limit: 'depth' });
    expect(listArchiveMembers(many, { limits: { maxMembers: 2 } })).toMatchObject({ truncated: true, limit: 'members' });
  });

  it('says truncated without a limit for a corrupt nested gzip', () => {
    const bad = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('not deflate data at all!')]);
    expect(listArchiveMembers(bad, { name: 'x.gz' })).toMatchObject({ format: 'gzip', limit: null });
  });
});

describe('listArchiveMembers on archive bombs (finish fast, name the limit)', () => {
  const timed = <T>(f: () => T): { value: T; ms: number } => {
    const t = process.hrtime.bigint();
    const value = f();
    return { value, ms: Number(process.hrtime.bigint() - t) / 1e6 };
  };

  it('deep nesting: 50 levels of zip in zip stop at maxDepth', () => {
    let z = zip([{ name: 'eicar.com', data: 'x' }]);
    for (let i = 0; i < 50; i++) z = zip([{ name: `level${i}.zip`, data: z, deflate: i % 2 === 0 }]);
    const { value, ms } = timed(() => listArchiveMembers(z));
    expect(value).toMatchObject({ truncated: true, limit: 'depth' });
    expect(value?.members).toHaveLength(8);
    expect(ms).toBeLessThan(2000);
  });

  it('huge ratio: a nested archive padded with 200 MB of zeros is cut at the ratio bound, never inflated whole', () => {
    const padded = Buffer.concat([zip([{ name: 'inner.exe', data: 'MZ' }]), Buffer.alloc(200 * 1024 * 1024)]);
    const bomb = zip([{ name: 'bomb.zip', data: padded, deflate: true }]);
    expect(bomb.length).toBeLessThan(400_000);
    const { value, ms } = timed(() => listArchiveMembers(bomb));
    expect(value).toMatchObject({ truncated: true, limit: 'ratio', members: ['bomb.zip', 'bomb.zip > inner.exe'] });
    expect(ms).toBeLessThan(3000);
  });

  it('bytes: many nested members together exceed maxBytes', () => {
    const member = zip([{ name: 'a.txt', data: 'x' }, { name: 'pad', data: Buffer.alloc(100_000) }]);
    const outer = zip(Array.from({ length: 30 }, (_, i) => ({ name: `m${i}.zip`, data: member, deflate: true })));
    const { value, ms } = timed(() => listArchiveMembers(outer, { limits: { maxBytes: 1_000_000, maxRatio: 10_000 } }));
    expect(value).toMatchObject({ truncated: true, limit: 'bytes' });
    expect(ms).toBeLessThan(2000);
  });

  it('thousands of members: 20000 entries stop at maxMembers', () => {
    const z = zip(Array.from({ length: 20000 }, (_, i) => ({ name: `f${i}.txt`, data: '' })));
    const { value, ms } = timed(() => listArchiveMembers(z));
    expect(value).toMatchObject({ truncated: true, limit: 'members' });
    expect(value?.members).toHaveLength(1000);
    expect(ms).toBeLessThan(2000);
  });
});

describe('detectType on zip containers', () => {
  it('recognises OOXML by its members', () => {
    expect(detectType(zip([{ name: '[Content_Types].xml', data: '<x/>' }, { name: 'word/document.xml', data: '<x/>' }]))?.ext).toBe('docx');
    expect(detectType(zip([{ name: '[Content_Types].xml', data: '<x/>' }, { name: 'xl/workbook.xml', data: '<x/>' }]))?.ext).toBe('xlsx');
    expect(detectType(zip([{ name: 'a.txt', data: 'x' }]))).toEqual({ ext: 'zip', mime: 'application/zip' });
  });
});
