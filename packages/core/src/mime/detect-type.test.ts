import { tar } from '../../test/archive-writers';
import { AV_CHECK_FALSE_EXTENSIONS, detectType } from './detect-type';
import { EICAR_TEST_STRING } from './select-parts';

const ext = (b: Buffer | string): string | null => detectType(Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1'))?.ext ?? null;

function pe(dll: boolean): Buffer {
  const buf = Buffer.alloc(256);
  buf.write('MZ', 0, 'latin1');
  buf.writeUInt32LE(0x80, 0x3c);
  buf.write('PE\0\0', 0x80, 'latin1');
  buf.writeUInt16LE(dll ? 0x2102 : 0x0102, 0x80 + 22);
  return buf;
}

function ole(stream: string): Buffer {
  const buf = Buffer.alloc(1024);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(buf, 0);
  Buffer.from(stream, 'utf16le').copy(buf, 512);
  return buf;
}

describe('detectType', () => {
  it.each<[string, Buffer | string, string | null]>([
    ['pdf', '%PDF-1.7\n...', 'pdf'],
    ['pdf after junk', 'garbage\n%PDF-1.4', 'pdf'],
    ['exe', pe(false), 'exe'],
    ['dll', pe(true), 'dll'],
    ['bare MZ', 'MZ\x90\0', 'exe'],
    ['elf', '\x7fELF\x02\x01', 'elf'],
    ['rar', 'Rar!\x1a\x07\x00', 'rar'],
    ['7z', Buffer.from('377abcaf271c0004', 'hex'), '7z'],
    ['gz', Buffer.from('1f8b0800', 'hex'), 'gz'],
    ['bz2', 'BZh91AY&SY', 'bz2'],
    ['xz', Buffer.from('fd377a585a00', 'hex'), 'xz'],
    ['cab', 'MSCF\0\0\0\0xxxx', 'cab'],
    ['chm', 'ITSF\x03\0\0\0', 'chm'],
    ['doc', ole('WordDocument'), 'doc'],
    ['xls', ole('Workbook'), 'xls'],
    ['ppt', ole('PowerPoint Document'), 'ppt'],
    ['rtf', '{\\rtf1\\ansi', 'rtf'],
    ['tnef', Buffer.from('789f3e22', 'hex'), 'tnef'],
    ['png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'png'],
    ['gif', 'GIF89a\x01\0', 'gif'],
    ['jpg', Buffer.from('ffd8ffe000104a464946', 'hex'), 'jpg'],
    ['tiff', 'II*\0\x08\0\0\0', 'tiff'],
    ['psd', '8BPS\0\x01', 'psd'],
    ['tar', tar({ 'dir/file.txt': 'data' }), 'tar'],
    ['html', '  <!DOCTYPE html><html><body>x</body></html>', 'html'],
    ['eml', 'Received: from a\r\nFrom: a@b\r\nSubject: hi\r\nTo: c@d\r\n\r\nbody', 'eml'],
    ['text', 'Hello, this is plain text.\n', 'txt'],
    ['ics', 'BEGIN:VCALENDAR\r\nVERSION:2.0', 'ics'],
    ['EICAR is printable text', EICAR_TEST_STRING, 'txt'],
    ['binary noise', Buffer.from([0, 1, 2, 3, 0, 0, 7, 8, 9, 0, 0xff]), null],
    ['empty', Buffer.alloc(0), null],
    ['text starting with BM is not bmp', 'BMW cars are fast', 'txt'],
  ])('%s', (_label, input, expected) => {
    expect(ext(input)).toBe(expected);
  });

  it('gives a MIME type with the extension', () => {
    expect(detectType(Buffer.from('%PDF-1.5'))).toEqual({ ext: 'pdf', mime: 'application/pdf' });
  });

  it('lists the av_check=false extensions of docs/semantics.md §3.2', () => {
    expect([...AV_CHECK_FALSE_EXTENSIONS].sort()).toEqual(
      ['png', 'gif', 'jpg', 'bmp', 'heic', 'webp', 'svg', 'psd', 'pcx', 'pic', 'tiff', 'ico', 'txt', 'html', 'csv', 'ics', 'vcf', 'eml'].sort(),
    );
  });
});
